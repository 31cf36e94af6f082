-- Every indicator id of kpis.md is present: academic indicators for every academic year of the
-- census spine, fiscal indicators for every fiscal year, expenditure_per_student for every pair.
--
-- In Dagster: an asset check of fct_kpi_values (dagster-dbt's meta dagster.ref;
-- a test that reads several models is otherwise logged as an observation only).
{{ config(meta={'dagster': {'ref': {'name': 'fct_kpi_values'}}}) }}

with

catalogue as (
    select kpi_id, year_basis from {{ ref('kpi_catalogue') }}
),

academic_years as (
    select academic_year from {{ ref('int_census_years') }}
),

fiscal_years as (
    select fiscal_year from {{ ref('int_fiscal_years') }}
),

expected as (
    select
        c.kpi_id,
        a.academic_year,
        cast(null as integer) as fiscal_year
    from catalogue as c
    cross join academic_years as a
    where c.year_basis = 'academic'
    union all
    select
        c.kpi_id,
        cast(null as integer) as academic_year,
        f.fiscal_year
    from catalogue as c
    cross join fiscal_years as f
    where c.year_basis = 'fiscal'
    union all
    select
        c.kpi_id,
        a.academic_year,
        f.fiscal_year
    from catalogue as c
    cross join academic_years as a
    cross join fiscal_years as f
    where c.year_basis = 'both'
),

actual as (
    select kpi_id, academic_year, fiscal_year from {{ ref('fct_kpi_values') }}
)

select e.*
from expected as e
left join actual as a
    on
        e.kpi_id = a.kpi_id
        and e.academic_year is not distinct from a.academic_year
        and e.fiscal_year is not distinct from a.fiscal_year
where a.kpi_id is null
