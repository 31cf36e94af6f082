-- First-attempt pass rates (kpis.md first_attempt_pass_rate) by academic year, term, the
-- course's offering unit (reconciled to HR's unit codes) and course: the counted rows of
-- fct_grade_first_attempts (normal sittings, latest row per student and section; deferred,
-- missing and uninterpretable scores left out). Σ passes / Σ attempts over a year is the
-- indicator. One row per (institution, academic_year, term, unit_code, course_code).
with

attempts as (
    select * from {{ ref('fct_grade_first_attempts') }}
    where is_counted
),

courses as (
    select * from {{ ref('stg_academic__courses') }}
),

grouped as (
    select
        a.institution_code,
        a.academic_year,
        try_cast(substr(a.term_code, 11, 1) as integer) as term,
        a.term_code,
        {{ reconciled_unit_code('u', 'c.offering_unit_code') }} as unit_code,
        a.course_id as course_code,
        min(coalesce(u.hr_unit_name, u.source_unit_name)) as unit_name,
        coalesce(bool_or(u.is_matched), false) as unit_is_matched,
        min(c.course_name) as course_name,
        count(*) as attempts,
        count(*) filter (where a.is_pass) as passes
    from attempts as a
    left join courses as c
        on a.course_id = c.course_id
    {{ join_unit_codes('academic', 'c.offering_unit_code', 'u') }}
    group by
        a.institution_code,
        a.academic_year,
        try_cast(substr(a.term_code, 11, 1) as integer),
        a.term_code,
        {{ reconciled_unit_code('u', 'c.offering_unit_code') }},
        a.course_id
),

final as (
    select
        cast(institution_code as varchar) as institution_code,
        cast(academic_year as integer) as academic_year,
        cast(term as integer) as term,
        cast(term_code as varchar) as term_code,
        cast(unit_code as varchar) as unit_code,
        cast(unit_name as varchar) as unit_name,
        cast({{ name_en('org_unit', 'unit_code') }} as varchar) as unit_name_en,
        cast(unit_is_matched as boolean) as unit_is_matched,
        cast(course_code as varchar) as course_code,
        cast(course_name as varchar) as course_name,
        cast({{ name_en('course', 'course_code') }} as varchar) as course_name_en,
        cast(attempts as integer) as attempts,
        cast(passes as integer) as passes,
        cast({{ round_half_up_div('passes', 'attempts', 4) }} as decimal(10, 4)) as pass_rate
    from grouped
)

select * from final
