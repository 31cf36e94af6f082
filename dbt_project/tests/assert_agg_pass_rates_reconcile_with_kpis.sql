-- agg_pass_rates agrees with fct_kpi_values: per academic year Σ passes and Σ attempts are the
-- numerator and denominator of first_attempt_pass_rate.
--
-- In Dagster: an asset check of fct_kpi_values (dagster-dbt's meta dagster.ref;
-- a test that reads several models is otherwise logged as an observation only).
{{ config(meta={'dagster': {'ref': {'name': 'fct_kpi_values'}}}) }}

with

kpi as (
    select
        academic_year,
        numerator,
        denominator
    from {{ ref('fct_kpi_values') }}
    where kpi_id = 'first_attempt_pass_rate'
),

agg as (
    select
        academic_year,
        sum(passes) as passes,
        sum(attempts) as attempts
    from {{ ref('agg_pass_rates') }}
    group by academic_year
)

select
    k.academic_year,
    k.numerator,
    a.passes,
    k.denominator,
    a.attempts
from kpi as k
left join agg as a on k.academic_year = a.academic_year
where
    k.numerator is distinct from coalesce(a.passes, 0)
    or k.denominator is distinct from coalesce(a.attempts, 0)
