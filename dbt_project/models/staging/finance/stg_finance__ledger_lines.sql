{{ config(materialized='table') }}
-- Voucher lines (凭证明细_YYYYMM.csv): each month only from its highest _version (a re-export
-- replaces the older file completely). A line spends against the budget when it carries an
-- 经济分类编码; its amount is 借方金额 − 贷方金额.
with

source as (
    select *
    from {{ source('finance', 'ledger') }}
    qualify _version = max(_version) over (partition by _period)
),

renamed as (
    select
        trim(_period) as period,
        _file as file_name,
        _version as file_version,
        _line_no as line_no,
        {{ text_to_date('"凭证日期"') }} as voucher_date,
        "凭证号" as voucher_no,
        "分录号" as entry_no,
        {{ clean_code('"部门编码"') }} as unit_code,
        "部门名称" as unit_name,
        {{ clean_code('"会计科目编码"') }} as account_code,
        "会计科目名称" as account_name,
        {{ clean_code('"经济分类编码"') }} as econ_class_code,
        {{ clean_code('"项目编号"') }} as project_code,
        "摘要" as summary,
        {{ text_to_amount('"借方金额"') }} as debit_amount,
        {{ text_to_amount('"贷方金额"') }} as credit_amount,
        _loaded_at as loaded_at
    from source
),

final as (
    select
        '{{ var("institution_code") }}' as institution_code,
        r.*,
        cast(year(r.voucher_date) as integer) as fiscal_year,
        r.econ_class_code is not null as is_budget_spending,
        r.debit_amount - r.credit_amount as spending_amount,
        substr(r.econ_class_code, 1, 3) as econ_class_prefix,
        coalesce(substr(r.econ_class_code, 1, 3) in ('301', '303'), false) as is_personnel
    from renamed as r
)

select * from final
