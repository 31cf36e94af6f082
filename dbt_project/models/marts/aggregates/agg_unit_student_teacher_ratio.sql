-- Student-teacher ratio by unit (reconciled to HR's unit codes) at the census date C = Y-09-30:
-- FTE students of the unit (agg_student_census), full-time teachers (agg_faculty_census) and
-- external teachers (agg_external_teachers) of the unit, teachers_total = full-time + 0.5 x
-- external, ratio = fte_students / teachers_total rounded half-up to 2 decimals (null without
-- teachers). Σ over units of a year gives the kpis.md parts (fte_students, fulltime_teachers,
-- external_teachers, teachers_total). One row per (institution, academic_year, unit_code).
with

parts as (
    select
        institution_code,
        academic_year,
        unit_code,
        unit_name,
        unit_is_matched,
        fte as fte_students,
        0 as fulltime_teachers,
        0 as external_teachers
    from {{ ref('agg_student_census') }}
    union all
    select
        institution_code,
        academic_year,
        unit_code,
        unit_name,
        unit_is_matched,
        0 as fte_students,
        fulltime_teachers,
        0 as external_teachers
    from {{ ref('agg_faculty_census') }}
    union all
    select
        institution_code,
        academic_year,
        unit_code,
        unit_name,
        unit_is_matched,
        0 as fte_students,
        0 as fulltime_teachers,
        external_teachers
    from {{ ref('agg_external_teachers') }}
),

grouped as (
    select
        institution_code,
        academic_year,
        unit_code,
        min(unit_name) as unit_name,
        bool_or(unit_is_matched) as unit_is_matched,
        sum(fte_students) as fte_students,
        sum(fulltime_teachers) as fulltime_teachers,
        sum(external_teachers) as external_teachers,
        sum(fulltime_teachers) + cast(0.5 as decimal(2, 1)) * sum(external_teachers) as teachers_total
    from parts
    group by institution_code, academic_year, unit_code
),

final as (
    select
        cast(institution_code as varchar) as institution_code,
        cast(academic_year as integer) as academic_year,
        cast(unit_code as varchar) as unit_code,
        cast(unit_name as varchar) as unit_name,
        cast({{ name_en('org_unit', 'unit_code') }} as varchar) as unit_name_en,
        cast(unit_is_matched as boolean) as unit_is_matched,
        cast(fte_students as decimal(18, 1)) as fte_students,
        cast(fulltime_teachers as integer) as fulltime_teachers,
        cast(external_teachers as integer) as external_teachers,
        cast(teachers_total as decimal(18, 1)) as teachers_total,
        cast({{ round_half_up_div('fte_students', 'teachers_total', 2) }} as decimal(18, 2)) as student_teacher_ratio
    from grouped
)

select * from final
