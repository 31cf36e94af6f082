-- agg_student_flows agrees with fct_kpi_values: per academic year Σ students of 'entrant' =
-- entrants, of the leaving change types (14, 16, 18, 19, 20) = leavers, of 'completion' =
-- completions.
--
-- In Dagster: an asset check of fct_kpi_values (dagster-dbt's meta dagster.ref;
-- a test that reads several models is otherwise logged as an observation only).
{{ config(meta={'dagster': {'ref': {'name': 'fct_kpi_values'}}}) }}

with

kpi as (
    select
        academic_year,
        max(value) filter (where kpi_id = 'entrants') as entrants,
        max(value) filter (where kpi_id = 'leavers') as leavers,
        max(value) filter (where kpi_id = 'completions') as completions
    from {{ ref('fct_kpi_values') }}
    where academic_year is not null and fiscal_year is null
    group by academic_year
),

agg as (
    select
        academic_year,
        sum(students) filter (where flow_code = 'entrant') as entrants,
        sum(students) filter (where is_leaver_flow) as leavers,
        sum(students) filter (where flow_code = 'completion') as completions
    from {{ ref('agg_student_flows') }}
    group by academic_year
)

select
    k.academic_year,
    k.entrants,
    a.entrants as agg_entrants,
    k.leavers,
    a.leavers as agg_leavers,
    k.completions,
    a.completions as agg_completions
from kpi as k
left join agg as a on k.academic_year = a.academic_year
where
    k.entrants is distinct from coalesce(a.entrants, 0)
    or k.leavers is distinct from coalesce(a.leavers, 0)
    or k.completions is distinct from coalesce(a.completions, 0)
