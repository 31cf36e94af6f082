-- Graduates (byxx byjlm = 01) by the academic year of the graduation date, the unit held at that
-- date (reconciled to HR's unit codes) and level. degree_eligible: at a degree-conferring level
-- (1 undergraduate, 3 master's); degrees_awarded: of those, with a degree (xwm not null);
-- placed: destination 10, 11, 12, 20, 21 or 30. Σ per year: graduates, and the parts of
-- degree_award_rate (degrees_awarded / degree_eligible) and employment_rate (placed / graduates).
-- One row per (institution, academic_year, unit_code, level_code).
with

graduates as (
    select * from {{ ref('fct_graduates') }}
),

versions as (
    select * from {{ ref('int_student_versions') }}
),

with_units as (
    select
        g.*,
        v.unit_code as source_unit_code
    from graduates as g
    left join versions as v
        on
            g.student_id = v.student_id
            and {{ held_at('v', 'g.conclusion_date') }}
),

grouped as (
    select
        w.institution_code,
        w.academic_year,
        {{ reconciled_unit_code('u', 'w.source_unit_code') }} as unit_code,
        w.level_code,
        min(coalesce(u.hr_unit_name, u.source_unit_name)) as unit_name,
        coalesce(bool_or(u.is_matched), false) as unit_is_matched,
        count(*) as graduates,
        count(*) filter (where w.confers_degree) as degree_eligible,
        count(*) filter (where w.confers_degree and w.has_degree) as degrees_awarded,
        count(*) filter (where w.is_placed) as placed
    from with_units as w
    {{ join_unit_codes('academic', 'w.source_unit_code', 'u') }}
    group by
        w.institution_code,
        w.academic_year,
        {{ reconciled_unit_code('u', 'w.source_unit_code') }},
        w.level_code
),

final as (
    select
        cast(g.institution_code as varchar) as institution_code,
        cast(g.academic_year as integer) as academic_year,
        cast(g.unit_code as varchar) as unit_code,
        cast(g.unit_name as varchar) as unit_name,
        cast({{ name_en('org_unit', 'g.unit_code') }} as varchar) as unit_name_en,
        cast(g.unit_is_matched as boolean) as unit_is_matched,
        cast(g.level_code as varchar) as level_code,
        cast(lvl.label_zh as varchar) as level_name,
        cast(g.graduates as integer) as graduates,
        cast(g.degree_eligible as integer) as degree_eligible,
        cast(g.degrees_awarded as integer) as degrees_awarded,
        cast(g.placed as integer) as placed
    from grouped as g
    left join {{ code_set('pycc') }} as lvl
        on g.level_code = lvl.code
)

select * from final
