-- One row per ledger line that spends against the budget (carries an 经济分类编码), each month
-- from its newest export; amount = 借方金额 − 贷方金额, fiscal year = year of 凭证日期.
with

ledger as (
    select * from {{ ref('stg_finance__ledger_lines') }}
),

final as (
    select
        institution_code,
        period,
        line_no,
        file_version,
        voucher_date,
        fiscal_year,
        voucher_no,
        entry_no,
        unit_code,
        account_code,
        econ_class_code,
        econ_class_prefix,
        is_personnel,
        spending_amount
    from ledger
    where is_budget_spending
)

select * from final
