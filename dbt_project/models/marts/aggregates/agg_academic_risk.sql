-- Academic risk (学业预警) by academic year, term and the student's unit (held at the census date
-- C = Y-09-30, reconciled to HR's unit codes): students assessed (with at least one counted first
-- attempt in the term, as in agg_pass_rates) and students at risk (credits of the courses failed
-- at the first attempt in the term above var academic_risk_failed_credits).
-- One row per (institution, academic_year, term, unit_code).
with

attempts as (
    select * from {{ ref('fct_grade_first_attempts') }}
    where is_counted
),

courses as (
    select * from {{ ref('stg_academic__courses') }}
),

versions as (
    select * from {{ ref('int_student_versions') }}
),

per_student as (
    select
        a.institution_code,
        a.academic_year,
        a.student_id,
        try_cast(substr(a.term_code, 11, 1) as integer) as term,
        coalesce(sum(c.credits) filter (where not a.is_pass), 0) as failed_credits
    from attempts as a
    left join courses as c
        on a.course_id = c.course_id
    group by
        a.institution_code,
        a.academic_year,
        try_cast(substr(a.term_code, 11, 1) as integer),
        a.student_id
),

with_units as (
    select
        p.*,
        v.unit_code as source_unit_code
    from per_student as p
    left join versions as v
        on
            p.student_id = v.student_id
            and {{ held_at('v', census_date('p.academic_year')) }}
),

grouped as (
    select
        w.institution_code,
        w.academic_year,
        w.term,
        {{ reconciled_unit_code('u', 'w.source_unit_code') }} as unit_code,
        min(coalesce(u.hr_unit_name, u.source_unit_name)) as unit_name,
        coalesce(bool_or(u.is_matched), false) as unit_is_matched,
        count(*) as students_assessed,
        count(*) filter (where w.failed_credits > {{ var('academic_risk_failed_credits') }}) as students_at_risk
    from with_units as w
    {{ join_unit_codes('academic', 'w.source_unit_code', 'u') }}
    group by
        w.institution_code,
        w.academic_year,
        w.term,
        {{ reconciled_unit_code('u', 'w.source_unit_code') }}
),

final as (
    select
        cast(institution_code as varchar) as institution_code,
        cast(academic_year as integer) as academic_year,
        cast(term as integer) as term,
        cast(unit_code as varchar) as unit_code,
        cast(unit_name as varchar) as unit_name,
        cast({{ name_en('org_unit', 'unit_code') }} as varchar) as unit_name_en,
        cast(unit_is_matched as boolean) as unit_is_matched,
        cast(students_assessed as integer) as students_assessed,
        cast(students_at_risk as integer) as students_at_risk,
        cast({{ var('academic_risk_failed_credits') }} as decimal(6, 1)) as failed_credits_threshold
    from grouped
)

select * from final
