-- agg_graduates agrees with fct_kpi_values: per academic year Σ graduates = graduates;
-- Σ degrees_awarded / Σ degree_eligible = the parts of degree_award_rate; Σ placed / Σ graduates
-- = the parts of employment_rate.
--
-- In Dagster: an asset check of fct_kpi_values (dagster-dbt's meta dagster.ref;
-- a test that reads several models is otherwise logged as an observation only).
{{ config(meta={'dagster': {'ref': {'name': 'fct_kpi_values'}}}) }}

with

kpi as (
    select
        academic_year,
        max(value) filter (where kpi_id = 'graduates') as graduates,
        max(numerator) filter (where kpi_id = 'degree_award_rate') as degrees_awarded,
        max(denominator) filter (where kpi_id = 'degree_award_rate') as degree_eligible,
        max(numerator) filter (where kpi_id = 'employment_rate') as placed,
        max(denominator) filter (where kpi_id = 'employment_rate') as employment_denominator
    from {{ ref('fct_kpi_values') }}
    where academic_year is not null and fiscal_year is null
    group by academic_year
),

agg as (
    select
        academic_year,
        sum(graduates) as graduates,
        sum(degrees_awarded) as degrees_awarded,
        sum(degree_eligible) as degree_eligible,
        sum(placed) as placed
    from {{ ref('agg_graduates') }}
    group by academic_year
)

select k.*
from kpi as k
left join agg as a on k.academic_year = a.academic_year
where
    k.graduates is distinct from coalesce(a.graduates, 0)
    or k.degrees_awarded is distinct from coalesce(a.degrees_awarded, 0)
    or k.degree_eligible is distinct from coalesce(a.degree_eligible, 0)
    or k.placed is distinct from coalesce(a.placed, 0)
    or k.employment_denominator is distinct from coalesce(a.graduates, 0)
