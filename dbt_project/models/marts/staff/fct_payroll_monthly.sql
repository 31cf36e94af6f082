-- Monthly payroll (gzff) at its current version: one row per (institution, payment_id = ffid),
-- with the person, and the unit (reconciled) and staff category the warehouse held on the last
-- day of the pay month. Restricted: salary data, never published per person.
with

payroll as (
    select
        *,
        cast(try_strptime(pay_month || '01', '%Y%m%d') as date) as pay_month_start
    from {{ ref('stg_hr__payroll') }}
),

persons as (
    select * from {{ ref('int_persons_unified') }}
    where source_system = 'hr'
),

versions as (
    select * from {{ ref('int_staff_versions') }}
),

unit_codes as (
    select * from {{ ref('int_org_unit_codes') }}
    where source_system = 'hr'
),

with_version as (
    select
        py.*,
        v.unit_code,
        v.staff_category_code
    from payroll as py
    left join versions as v
        on
            py.staff_id = v.staff_id
            and {{ held_at('v', 'last_day(py.pay_month_start)') }}
),

final as (
    select
        cast(w.institution_code as varchar) as institution_code,
        cast(w.payment_id as bigint) as payment_id,
        cast(w.staff_id as varchar) as staff_id,
        cast(coalesce(p.person_key, md5(w.institution_code || 'staff:' || w.staff_id)) as varchar) as person_key,
        cast(w.pay_month as varchar) as pay_month,
        cast(w.pay_month_start as date) as pay_month_start,
        cast(coalesce(uc.hr_unit_code, w.unit_code) as varchar) as unit_code,
        cast(w.staff_category_code as varchar) as staff_category_code,
        cast(w.base_pay as decimal(18, 2)) as base_pay,
        cast(w.performance_pay as decimal(18, 2)) as performance_pay,
        cast(w.allowances as decimal(18, 2)) as allowances,
        cast(w.gross_pay as decimal(18, 2)) as gross_pay,
        cast(w.deductions as decimal(18, 2)) as deductions,
        cast(w.net_pay as decimal(18, 2)) as net_pay
    from with_version as w
    left join persons as p
        on w.staff_id = p.source_key
    left join unit_codes as uc
        on w.unit_code = uc.source_code
)

select * from final
