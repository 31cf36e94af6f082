-- External teachers engaged at the census date C = Y-09-30 (fct_external_teacher_census: one per
-- person, none who is employed at C under the same valid ID number), by engaging unit (the
-- smallest pdwh of the person's engagements, reconciled to HR's unit codes). Σ external_teachers
-- of a year = external_teachers. One row per (institution, academic_year, unit_code).
with

census as (
    select * from {{ ref('fct_external_teacher_census') }}
),

grouped as (
    select
        c.institution_code,
        c.academic_year,
        {{ reconciled_unit_code('u', 'c.engaging_unit_code') }} as unit_code,
        min(coalesce(u.hr_unit_name, u.source_unit_name)) as unit_name,
        coalesce(bool_or(u.is_matched), false) as unit_is_matched,
        count(*) as external_teachers
    from census as c
    {{ join_unit_codes('hr', 'c.engaging_unit_code', 'u') }}
    group by
        c.institution_code,
        c.academic_year,
        {{ reconciled_unit_code('u', 'c.engaging_unit_code') }}
),

final as (
    select
        cast(institution_code as varchar) as institution_code,
        cast(academic_year as integer) as academic_year,
        cast(unit_code as varchar) as unit_code,
        cast(unit_name as varchar) as unit_name,
        cast({{ name_en('org_unit', 'unit_code') }} as varchar) as unit_name_en,
        cast(unit_is_matched as boolean) as unit_is_matched,
        cast(external_teachers as integer) as external_teachers
    from grouped
)

select * from final
