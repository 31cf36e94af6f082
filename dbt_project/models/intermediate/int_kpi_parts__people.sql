-- People at the census date (kpis.md): registered, full-time and FTE students; full-time,
-- external and total teachers; student-teacher ratio; shares of full-time teachers with a
-- postgraduate degree, a senior title at C, double qualification. Exact parts, not rounded.
with

census_years as (
    select * from {{ ref('int_census_years') }}
),

students as (
    select
        academic_year,
        count(distinct student_id) as registered_students,
        count(distinct case when is_fulltime then student_id end) as fulltime_students,
        sum(fte_weight) as fte_students
    from {{ ref('fct_student_census') }}
    group by academic_year
),

teachers as (
    select
        academic_year,
        count(distinct staff_id) as fulltime_teachers,
        count(distinct case when has_postgrad_degree then staff_id end) as postgrad_teachers,
        count(distinct case when has_senior_title then staff_id end) as senior_title_teachers,
        count(distinct case when is_double_qualified then staff_id end) as double_qualified_teachers
    from {{ ref('fct_staff_census') }}
    where is_fulltime_teacher
    group by academic_year
),

externals as (
    select
        academic_year,
        count(distinct person_key) as external_teachers
    from {{ ref('fct_external_teacher_census') }}
    group by academic_year
),

per_year as (
    select
        cy.academic_year,
        coalesce(s.registered_students, 0) as registered_students,
        coalesce(s.fulltime_students, 0) as fulltime_students,
        coalesce(s.fte_students, 0) as fte_students,
        coalesce(t.fulltime_teachers, 0) as fulltime_teachers,
        coalesce(t.postgrad_teachers, 0) as postgrad_teachers,
        coalesce(t.senior_title_teachers, 0) as senior_title_teachers,
        coalesce(t.double_qualified_teachers, 0) as double_qualified_teachers,
        coalesce(x.external_teachers, 0) as external_teachers,
        cast(coalesce(t.fulltime_teachers, 0) as decimal(38, 6))
        + cast(0.5 as decimal(2, 1)) * coalesce(x.external_teachers, 0) as teachers_total
    from census_years as cy
    left join students as s on cy.academic_year = s.academic_year
    left join teachers as t on cy.academic_year = t.academic_year
    left join externals as x on cy.academic_year = x.academic_year
),

final as (
    {{ kpi_row('registered_students', 'academic_year', value='registered_students') }} from per_year
    union all
    {{ kpi_row('fulltime_students', 'academic_year', value='fulltime_students') }} from per_year
    union all
    {{ kpi_row('fte_students', 'academic_year', value='fte_students') }} from per_year
    union all
    {{ kpi_row('fulltime_teachers', 'academic_year', value='fulltime_teachers') }} from per_year
    union all
    {{ kpi_row('external_teachers', 'academic_year', value='external_teachers') }} from per_year
    union all
    {{ kpi_row('teachers_total', 'academic_year', value='teachers_total') }} from per_year
    union all
    {{ kpi_row('student_teacher_ratio', 'academic_year', numerator='fte_students', denominator='teachers_total') }}
    from per_year
    union all
    {{ kpi_row(
        'pct_teachers_postgrad_degree',
        'academic_year',
        numerator='postgrad_teachers',
        denominator='fulltime_teachers'
    ) }}
    from per_year
    union all
    {{ kpi_row(
        'pct_teachers_senior_title',
        'academic_year',
        numerator='senior_title_teachers',
        denominator='fulltime_teachers'
    ) }}
    from per_year
    union all
    {{ kpi_row(
        'pct_teachers_double_qualified',
        'academic_year',
        numerator='double_qualified_teachers',
        denominator='fulltime_teachers'
    ) }}
    from per_year
)

select * from final
