-- Budget execution by fiscal year, month, unit (finance 部门编码 reconciled to HR's unit codes
-- through the crosswalk; unmatched codes such as an unknown department stay, flagged) and
-- economic class (first three digits of 经济分类编码). budget: the year's Σ 调整后预算数 of the unit
-- and class (annual, repeated on every month; null for a year without a budget file).
-- expenditure: Σ amount of the month's lines that spend against the budget (by 凭证日期; null
-- for a year without any ledger file); cumulative_expenditure: from January to the month.
-- Σ budget over a year's units and classes (any one month) = budget_total; Σ expenditure =
-- expenditure_total. Every month 1-12 is present for each (year, unit, class) with a budget or
-- spending. One row per (institution, fiscal_year, month, unit_code, econ_class_code).
with

fiscal_years as (
    select * from {{ ref('int_fiscal_years') }}
),

budget as (
    select
        b.fiscal_year,
        {{ reconciled_unit_code('u', 'b.unit_code') }} as unit_code,
        b.econ_class_prefix as econ_class_code,
        min(coalesce(u.hr_unit_name, u.source_unit_name)) as unit_name,
        coalesce(bool_or(u.is_matched), false) as unit_is_matched,
        sum(b.adjusted_budget) as budget
    from {{ ref('fct_budget_lines') }} as b
    {{ join_unit_codes('finance', 'b.unit_code', 'u') }}
    group by
        b.fiscal_year,
        {{ reconciled_unit_code('u', 'b.unit_code') }},
        b.econ_class_prefix
),

spending as (
    select
        e.fiscal_year,
        cast(month(e.voucher_date) as integer) as month,
        {{ reconciled_unit_code('u', 'e.unit_code') }} as unit_code,
        e.econ_class_prefix as econ_class_code,
        min(coalesce(u.hr_unit_name, u.source_unit_name)) as unit_name,
        coalesce(bool_or(u.is_matched), false) as unit_is_matched,
        sum(e.spending_amount) as expenditure
    from {{ ref('fct_expenditure_lines') }} as e
    {{ join_unit_codes('finance', 'e.unit_code', 'u') }}
    where e.fiscal_year is not null
    group by
        e.fiscal_year,
        cast(month(e.voucher_date) as integer),
        {{ reconciled_unit_code('u', 'e.unit_code') }},
        e.econ_class_prefix
),

combinations as (
    select
        fiscal_year,
        unit_code,
        econ_class_code,
        min(unit_name) as unit_name,
        bool_or(unit_is_matched) as unit_is_matched
    from (
        select
            fiscal_year,
            unit_code,
            econ_class_code,
            unit_name,
            unit_is_matched
        from budget
        union all
        select
            fiscal_year,
            unit_code,
            econ_class_code,
            unit_name,
            unit_is_matched
        from spending
    ) as both_sides
    group by fiscal_year, unit_code, econ_class_code
),

ledger_months as (
    select distinct period
    from {{ ref('stg_finance__ledger_lines') }}
),

grid as (
    select
        c.*,
        cast(m.generate_series as integer) as month
    from combinations as c
    cross join generate_series(1, 12) as m
),

monthly as (
    select
        g.fiscal_year,
        g.month,
        g.unit_code,
        g.unit_name,
        g.unit_is_matched,
        g.econ_class_code,
        case when fy.has_budget_file then coalesce(b.budget, 0) end as budget,
        case when fy.has_ledger_file then coalesce(s.expenditure, 0) end as expenditure,
        lm.period is not null as month_has_ledger_file
    from grid as g
    inner join fiscal_years as fy
        on g.fiscal_year = fy.fiscal_year
    left join budget as b
        on
            g.fiscal_year = b.fiscal_year
            and g.unit_code is not distinct from b.unit_code
            and g.econ_class_code is not distinct from b.econ_class_code
    left join spending as s
        on
            g.fiscal_year = s.fiscal_year
            and g.month = s.month
            and g.unit_code is not distinct from s.unit_code
            and g.econ_class_code is not distinct from s.econ_class_code
    left join ledger_months as lm
        on lm.period = cast(g.fiscal_year as varchar) || lpad(cast(g.month as varchar), 2, '0')
),

final as (
    select
        cast('{{ var("institution_code") }}' as varchar) as institution_code,
        cast(m.fiscal_year as integer) as fiscal_year,
        cast(m.month as integer) as month,
        cast(m.unit_code as varchar) as unit_code,
        cast(m.unit_name as varchar) as unit_name,
        cast({{ name_en('org_unit', 'm.unit_code') }} as varchar) as unit_name_en,
        cast(m.unit_is_matched as boolean) as unit_is_matched,
        cast(m.econ_class_code as varchar) as econ_class_code,
        cast(ec.label_zh as varchar) as econ_class_name,
        cast(m.budget as decimal(18, 2)) as budget,
        cast(m.expenditure as decimal(18, 2)) as expenditure,
        cast(
            sum(m.expenditure) over (
                partition by m.fiscal_year, m.unit_code, m.econ_class_code
                order by m.month
                rows between unbounded preceding and current row
            ) as decimal(18, 2)
        ) as cumulative_expenditure,
        cast(m.month_has_ledger_file as boolean) as month_has_ledger_file
    from monthly as m
    left join {{ code_set('econ_class') }} as ec
        on m.econ_class_code = ec.code
)

select * from final
