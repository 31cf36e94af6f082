-- Students registered at the census date C = Y-09-30 (fct_student_census), counted by unit
-- (reconciled to HR's unit codes), major, level, study mode, cohort year and international flag.
-- Σ headcount of a year = registered_students; Σ fte = the unrounded fte_students.
-- One row per (institution, academic_year, unit_code, major_code, level_code, study_mode_code,
-- cohort_year, is_international).
with

census as (
    select * from {{ ref('fct_student_census') }}
),

students as (
    select
        student_id,
        cohort_year
    from {{ ref('stg_academic__students') }}
),

grouped as (
    select
        c.institution_code,
        c.academic_year,
        {{ reconciled_unit_code('u', 'c.unit_code') }} as unit_code,
        c.major_code,
        c.level_code,
        c.study_mode_code,
        s.cohort_year,
        c.is_international,
        min(coalesce(u.hr_unit_name, u.source_unit_name)) as unit_name,
        coalesce(bool_or(u.is_matched), false) as unit_is_matched,
        count(*) as headcount,
        sum(c.fte_weight) as fte
    from census as c
    left join students as s
        on c.student_id = s.student_id
    {{ join_unit_codes('academic', 'c.unit_code', 'u') }}
    group by
        c.institution_code,
        c.academic_year,
        {{ reconciled_unit_code('u', 'c.unit_code') }},
        c.major_code,
        c.level_code,
        c.study_mode_code,
        s.cohort_year,
        c.is_international
),

final as (
    select
        cast(g.institution_code as varchar) as institution_code,
        cast(g.academic_year as integer) as academic_year,
        cast(g.unit_code as varchar) as unit_code,
        cast(g.unit_name as varchar) as unit_name,
        cast({{ name_en('org_unit', 'g.unit_code') }} as varchar) as unit_name_en,
        cast(g.unit_is_matched as boolean) as unit_is_matched,
        cast(g.major_code as varchar) as major_code,
        cast(m.major_name as varchar) as major_name,
        cast({{ name_en('major_national_code', 'm.national_major_code') }} as varchar) as major_name_en,
        cast(g.level_code as varchar) as level_code,
        cast(lvl.label_zh as varchar) as level_name,
        cast(g.study_mode_code as varchar) as study_mode_code,
        cast(sm.label_zh as varchar) as study_mode_name,
        cast(g.cohort_year as integer) as cohort_year,
        cast(g.is_international as boolean) as is_international,
        cast(g.headcount as integer) as headcount,
        cast(g.fte as decimal(18, 1)) as fte
    from grouped as g
    left join {{ ref('stg_academic__majors') }} as m
        on g.major_code = m.major_code
    left join {{ code_set('pycc') }} as lvl
        on g.level_code = lvl.code
    left join {{ code_set('xxxs') }} as sm
        on g.study_mode_code = sm.code
)

select * from final
