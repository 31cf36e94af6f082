-- Teaching and outcomes of academic year Y (kpis.md): first-attempt pass rate, graduates,
-- degree award rate, employment (placement) rate, withdrawal rate.
with

census_years as (
    select * from {{ ref('int_census_years') }}
),

attempts as (
    select
        academic_year,
        count(*) filter (where is_counted and is_pass) as passed,
        count(*) filter (where is_counted) as counted
    from {{ ref('fct_grade_first_attempts') }}
    group by academic_year
),

graduates as (
    select
        academic_year,
        count(*) as graduates,
        count(*) filter (where confers_degree) as degree_level_graduates,
        count(*) filter (where confers_degree and has_degree) as degree_awarded,
        count(*) filter (where is_placed) as placed
    from {{ ref('fct_graduates') }}
    group by academic_year
),

census as (
    select
        academic_year,
        count(distinct student_id) as registered_students,
        count(distinct case when withdrew_in_year then student_id end) as withdrawn
    from {{ ref('fct_student_census') }}
    group by academic_year
),

per_year as (
    select
        cy.academic_year,
        coalesce(a.passed, 0) as passed,
        coalesce(a.counted, 0) as counted,
        coalesce(g.graduates, 0) as graduates,
        coalesce(g.degree_level_graduates, 0) as degree_level_graduates,
        coalesce(g.degree_awarded, 0) as degree_awarded,
        coalesce(g.placed, 0) as placed,
        coalesce(c.registered_students, 0) as registered_students,
        coalesce(c.withdrawn, 0) as withdrawn
    from census_years as cy
    left join attempts as a on cy.academic_year = a.academic_year
    left join graduates as g on cy.academic_year = g.academic_year
    left join census as c on cy.academic_year = c.academic_year
),

final as (
    {{ kpi_row('first_attempt_pass_rate', 'academic_year', numerator='passed', denominator='counted') }} from per_year
    union all
    {{ kpi_row('graduates', 'academic_year', value='graduates') }} from per_year
    union all
    {{ kpi_row(
        'degree_award_rate',
        'academic_year',
        numerator='degree_awarded',
        denominator='degree_level_graduates'
    ) }}
    from per_year
    union all
    {{ kpi_row('employment_rate', 'academic_year', numerator='placed', denominator='graduates') }} from per_year
    union all
    {{ kpi_row('withdrawal_rate', 'academic_year', numerator='withdrawn', denominator='registered_students') }}
    from per_year
)

select * from final
