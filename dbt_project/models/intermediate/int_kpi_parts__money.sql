-- Money (kpis.md): budget total, expenditure total, execution rate and personnel ratio by fiscal
-- year F; tuition collection rate by academic year Y; expenditure per student for every (F, Y).
-- A year without a budget file has no budget total (null), without any ledger file no expenditure.
with

census_years as (
    select * from {{ ref('int_census_years') }}
),

fiscal_years as (
    select * from {{ ref('int_fiscal_years') }}
),

budget as (
    select
        fiscal_year,
        sum(adjusted_budget) as budget_total
    from {{ ref('fct_budget_lines') }}
    group by fiscal_year
),

spending as (
    select
        fiscal_year,
        sum(spending_amount) as expenditure_total,
        coalesce(sum(spending_amount) filter (where is_personnel), 0) as personnel_expenditure
    from {{ ref('fct_expenditure_lines') }}
    group by fiscal_year
),

per_fiscal_year as (
    select
        fy.fiscal_year,
        case when fy.has_budget_file then coalesce(b.budget_total, 0) end as budget_total,
        case when fy.has_ledger_file then coalesce(s.expenditure_total, 0) end as expenditure_total,
        case when fy.has_ledger_file then coalesce(s.personnel_expenditure, 0) end as personnel_expenditure
    from fiscal_years as fy
    left join budget as b on fy.fiscal_year = b.fiscal_year
    left join spending as s on fy.fiscal_year = s.fiscal_year
),

tuition as (
    select
        academic_year,
        sum(amount_paid) as amount_paid,
        sum(amount_due - amount_waived) as amount_receivable
    from {{ ref('fct_tuition_bills') }}
    where is_tuition and not is_refunded and amounts_are_valid
    group by academic_year
),

fulltime as (
    select
        academic_year,
        count(distinct case when is_fulltime then student_id end) as fulltime_students
    from {{ ref('fct_student_census') }}
    group by academic_year
),

per_academic_year as (
    select
        cy.academic_year,
        t.amount_paid,
        t.amount_receivable,
        coalesce(f.fulltime_students, 0) as fulltime_students
    from census_years as cy
    left join tuition as t on cy.academic_year = t.academic_year
    left join fulltime as f on cy.academic_year = f.academic_year
),

per_pair as (
    select
        f.fiscal_year,
        y.academic_year,
        f.expenditure_total,
        y.fulltime_students
    from per_fiscal_year as f
    cross join per_academic_year as y
),

final as (
    {{ kpi_row('budget_total', fiscal_year='fiscal_year', value='budget_total') }} from per_fiscal_year
    union all
    {{ kpi_row('expenditure_total', fiscal_year='fiscal_year', value='expenditure_total') }} from per_fiscal_year
    union all
    {{ kpi_row(
        'budget_execution_rate',
        fiscal_year='fiscal_year',
        numerator='expenditure_total',
        denominator='budget_total'
    ) }}
    from per_fiscal_year
    union all
    {{ kpi_row(
        'personnel_expenditure_ratio',
        fiscal_year='fiscal_year',
        numerator='personnel_expenditure',
        denominator='expenditure_total'
    ) }}
    from per_fiscal_year
    union all
    {{ kpi_row('tuition_collection_rate', 'academic_year', numerator='amount_paid', denominator='amount_receivable') }}
    from per_academic_year
    union all
    {{ kpi_row(
        'expenditure_per_student',
        'academic_year',
        'fiscal_year',
        numerator='expenditure_total',
        denominator='fulltime_students'
    ) }}
    from per_pair
)

select * from final
