-- Tuition bills (item 01) of an academic year, as the kpis.md tuition_collection_rate selects them
-- (current version of each bill, refunded bills and bills with unreadable amounts left out), by
-- the student's unit held at the census date C = Y-09-30 (reconciled to HR's unit codes) and
-- cohort year; bills of students unknown to the academic system count with unit and cohort null.
-- Σ amount_paid / Σ (amount_due - amount_waived) over a year is the indicator.
-- One row per (institution, academic_year, unit_code, cohort_year).
with

bills as (
    select * from {{ ref('fct_tuition_bills') }}
    where is_tuition and not is_refunded and amounts_are_valid and academic_year is not null
),

students as (
    select
        student_id,
        cohort_year
    from {{ ref('stg_academic__students') }}
),

versions as (
    select * from {{ ref('int_student_versions') }}
),

with_students as (
    select
        b.*,
        s.cohort_year,
        v.unit_code as source_unit_code
    from bills as b
    left join students as s
        on b.student_id = s.student_id
    left join versions as v
        on
            b.student_id = v.student_id
            and {{ held_at('v', census_date('b.academic_year')) }}
),

grouped as (
    select
        w.institution_code,
        w.academic_year,
        {{ reconciled_unit_code('u', 'w.source_unit_code') }} as unit_code,
        w.cohort_year,
        min(coalesce(u.hr_unit_name, u.source_unit_name)) as unit_name,
        coalesce(bool_or(u.is_matched), false) as unit_is_matched,
        count(*) as bills,
        sum(w.amount_due) as amount_due,
        sum(w.amount_waived) as amount_waived,
        sum(w.amount_paid) as amount_paid
    from with_students as w
    {{ join_unit_codes('academic', 'w.source_unit_code', 'u') }}
    group by
        w.institution_code,
        w.academic_year,
        {{ reconciled_unit_code('u', 'w.source_unit_code') }},
        w.cohort_year
),

final as (
    select
        cast(institution_code as varchar) as institution_code,
        cast(academic_year as integer) as academic_year,
        cast(unit_code as varchar) as unit_code,
        cast(unit_name as varchar) as unit_name,
        cast({{ name_en('org_unit', 'unit_code') }} as varchar) as unit_name_en,
        cast(unit_is_matched as boolean) as unit_is_matched,
        cast(cohort_year as integer) as cohort_year,
        cast(bills as integer) as bills,
        cast(amount_due as decimal(18, 2)) as amount_due,
        cast(amount_waived as decimal(18, 2)) as amount_waived,
        cast(amount_paid as decimal(18, 2)) as amount_paid,
        cast(amount_due - amount_waived - amount_paid as decimal(18, 2)) as arrears,
        cast({{ round_half_up_div('amount_paid', 'amount_due - amount_waived', 4) }} as decimal(10, 4))
            as collection_rate
    from grouped
)

select * from final
