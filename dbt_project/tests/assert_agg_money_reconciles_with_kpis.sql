-- The money aggregates agree with fct_kpi_values. agg_budget_execution per fiscal year: Σ budget
-- of one month (budget is annual, repeated per month) = budget_total, Σ expenditure =
-- expenditure_total (both null for a year without a budget / ledger file), cumulative_expenditure
-- of December = Σ expenditure. agg_tuition per academic year: Σ amount_paid and
-- Σ (amount_due - amount_waived) = the parts of tuition_collection_rate.
--
-- In Dagster: an asset check of fct_kpi_values (dagster-dbt's meta dagster.ref;
-- a test that reads several models is otherwise logged as an observation only).
{{ config(meta={'dagster': {'ref': {'name': 'fct_kpi_values'}}}) }}

with

fiscal_kpi as (
    select
        fiscal_year,
        max(value) filter (where kpi_id = 'budget_total') as budget_total,
        max(value) filter (where kpi_id = 'expenditure_total') as expenditure_total
    from {{ ref('fct_kpi_values') }}
    where fiscal_year is not null and academic_year is null
    group by fiscal_year
),

budget_agg as (
    select
        fiscal_year,
        sum(budget) filter (where month = 1) as budget,
        sum(expenditure) as expenditure,
        sum(cumulative_expenditure) filter (where month = 12) as cumulative_december
    from {{ ref('agg_budget_execution') }}
    group by fiscal_year
),

tuition_kpi as (
    select
        academic_year,
        numerator,
        denominator
    from {{ ref('fct_kpi_values') }}
    where kpi_id = 'tuition_collection_rate'
),

tuition_agg as (
    select
        academic_year,
        sum(amount_paid) as amount_paid,
        sum(amount_due - amount_waived) as amount_receivable
    from {{ ref('agg_tuition') }}
    group by academic_year
)

select
    'budget_execution' as mart,
    k.fiscal_year as year
from fiscal_kpi as k
left join budget_agg as a on k.fiscal_year = a.fiscal_year
where
    (k.budget_total is null and a.budget is not null)
    or (k.budget_total is not null and coalesce(a.budget, 0) != k.budget_total)
    or (k.expenditure_total is null and a.expenditure is not null)
    or (k.expenditure_total is not null and coalesce(a.expenditure, 0) != k.expenditure_total)
    or coalesce(a.cumulative_december, 0) != coalesce(a.expenditure, 0)
union all
select
    'tuition' as mart,
    k.academic_year as year
from tuition_kpi as k
left join tuition_agg as a on k.academic_year = a.academic_year
where
    k.numerator is distinct from a.amount_paid
    or k.denominator is distinct from a.amount_receivable
