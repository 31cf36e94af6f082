-- Monthly payroll by pay month, unit and staff category held on the last day of the month
-- (fct_payroll_monthly), only for groups of at least var min_group_size (5) people paid: smaller
-- groups are left out entirely so no one's pay can be read off. One row per (institution,
-- pay_month, unit_code, staff_category_code).
with

payroll as (
    select * from {{ ref('fct_payroll_monthly') }}
),

grouped as (
    select
        p.institution_code,
        p.pay_month,
        p.unit_code,
        p.staff_category_code,
        min(coalesce(u.hr_unit_name, u.source_unit_name)) as unit_name,
        coalesce(bool_or(u.is_matched), false) as unit_is_matched,
        count(distinct p.staff_id) as staff_paid,
        sum(p.gross_pay) as gross_total,
        sum(p.net_pay) as net_total
    from payroll as p
    {{ join_unit_codes('hr', 'p.unit_code', 'u') }}
    group by
        p.institution_code,
        p.pay_month,
        p.unit_code,
        p.staff_category_code
    having count(distinct p.staff_id) >= {{ var('min_group_size') }}
),

final as (
    select
        cast(g.institution_code as varchar) as institution_code,
        cast(g.pay_month as varchar) as pay_month,
        cast(g.unit_code as varchar) as unit_code,
        cast(g.unit_name as varchar) as unit_name,
        cast({{ name_en('org_unit', 'g.unit_code') }} as varchar) as unit_name_en,
        cast(g.unit_is_matched as boolean) as unit_is_matched,
        cast(g.staff_category_code as varchar) as staff_category_code,
        cast(cat.label_zh as varchar) as staff_category_name,
        cast(g.staff_paid as integer) as staff_paid,
        cast(g.gross_total as decimal(18, 2)) as gross_total,
        cast(g.net_total as decimal(18, 2)) as net_total
    from grouped as g
    left join {{ code_set('jzglbm') }} as cat
        on g.staff_category_code = cat.code
)

select * from final
