-- Student flows between the census dates C = Y-09-30 and C' = (Y+1)-09-30, by unit (reconciled
-- to HR's unit codes) and flow code: 'entrant' (C < rxrq <= C'), the first leaving event's
-- registration change type (14, 16, 18, 19, 20: the kpis.md leavers) or 'completion' (first
-- leaving event is a graduation record: the kpis.md completions), and every other registration
-- change type (11 leave, 12 return, 13 change of major, 15 keep registration, 17 repeat year)
-- dated in (C, C']. students counts distinct students; a student counts once per flow code.
-- Unit: entrants and completions by the version held at the flow date; registration changes by
-- the unit before the change (yxsh_q), else the version held at the change date.
-- One row per (institution, academic_year, unit_code, flow_code).
with

census_years as (
    select * from {{ ref('int_census_years') }}
),

flows as (
    select * from {{ ref('fct_student_flows') }}
),

leaving as (
    select * from {{ ref('int_student_leaving_events') }}
),

changes as (
    select * from {{ ref('stg_academic__registration_changes') }}
),

versions as (
    select * from {{ ref('int_student_versions') }}
),

leaving_units as (
    select
        student_id,
        change_date,
        change_type_code,
        min(unit_code_before) as unit_code_before
    from changes
    where is_leaving_event
    group by student_id, change_date, change_type_code
),

flows_keyed as (
    -- leavers only get a key to join their leaving event on: plain equality join conditions keep
    -- the LEFT JOINs below hash joins (a one-sided condition in ON makes them nested loops)
    select
        *,
        case when flow_type = 'leaver' then student_id end as leaver_student_id
    from flows
),

census_flows as (
    select
        f.academic_year,
        f.student_id,
        f.flow_date,
        lu.unit_code_before,
        case f.flow_type
            when 'leaver' then l.first_leaving_code
            else f.flow_type
        end as flow_code
    from flows_keyed as f
    left join leaving as l
        on f.leaver_student_id = l.student_id
    left join leaving_units as lu
        on
            f.leaver_student_id = lu.student_id
            and f.flow_date = lu.change_date
            and l.first_leaving_code = lu.change_type_code
),

other_changes as (
    select
        cy.academic_year,
        c.student_id,
        c.change_date as flow_date,
        c.unit_code_before,
        c.change_type_code as flow_code
    from census_years as cy
    inner join changes as c
        on c.change_date > cy.census_date and c.change_date <= cy.next_census_date
    where not c.is_leaving_event and c.change_type_code is not null
),

all_flows as (
    select * from census_flows
    union all
    select * from other_changes
),

with_units as (
    select
        a.academic_year,
        a.student_id,
        a.flow_code,
        coalesce(a.unit_code_before, v.unit_code) as source_unit_code
    from all_flows as a
    left join versions as v
        on
            a.student_id = v.student_id
            and {{ held_at('v', 'a.flow_date') }}
),

grouped as (
    select
        w.academic_year,
        {{ reconciled_unit_code('u', 'w.source_unit_code') }} as unit_code,
        w.flow_code,
        min(coalesce(u.hr_unit_name, u.source_unit_name)) as unit_name,
        coalesce(bool_or(u.is_matched), false) as unit_is_matched,
        count(distinct w.student_id) as students
    from with_units as w
    {{ join_unit_codes('academic', 'w.source_unit_code', 'u') }}
    group by
        w.academic_year,
        {{ reconciled_unit_code('u', 'w.source_unit_code') }},
        w.flow_code
),

final as (
    select
        cast('{{ var("institution_code") }}' as varchar) as institution_code,
        cast(g.academic_year as integer) as academic_year,
        cast(g.unit_code as varchar) as unit_code,
        cast(g.unit_name as varchar) as unit_name,
        cast({{ name_en('org_unit', 'g.unit_code') }} as varchar) as unit_name_en,
        cast(g.unit_is_matched as boolean) as unit_is_matched,
        cast(g.flow_code as varchar) as flow_code,
        cast(
            case g.flow_code
                when 'entrant' then '新增学生'
                when 'completion' then '结束学业'
                else ct.label_zh
            end as varchar
        ) as flow_name,
        cast(g.flow_code in ('14', '16', '18', '19', '20') as boolean) as is_leaver_flow,
        cast(g.students as integer) as students
    from grouped as g
    left join {{ code_set('ydlbm') }} as ct
        on g.flow_code = ct.code
)

select * from final
