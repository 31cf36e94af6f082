-- Flows between two census dates (kpis.md): entrants, leavers, completions.
with

census_years as (
    select * from {{ ref('int_census_years') }}
),

flows as (
    select
        academic_year,
        count(distinct case when flow_type = 'entrant' then student_id end) as entrants,
        count(distinct case when flow_type = 'leaver' then student_id end) as leavers,
        count(distinct case when flow_type = 'completion' then student_id end) as completions
    from {{ ref('fct_student_flows') }}
    group by academic_year
),

per_year as (
    select
        cy.academic_year,
        coalesce(f.entrants, 0) as entrants,
        coalesce(f.leavers, 0) as leavers,
        coalesce(f.completions, 0) as completions
    from census_years as cy
    left join flows as f on cy.academic_year = f.academic_year
),

final as (
    {{ kpi_row('entrants', 'academic_year', value='entrants') }} from per_year
    union all
    {{ kpi_row('leavers', 'academic_year', value='leavers') }} from per_year
    union all
    {{ kpi_row('completions', 'academic_year', value='completions') }} from per_year
)

select * from final
