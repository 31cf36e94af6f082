-- The teacher aggregates agree with fct_kpi_values per academic year: Σ fulltime_teachers of
-- agg_faculty_census = fulltime_teachers, and its senior-title (正高, 副高), postgraduate-degree
-- (2, 3) and double-qualified parts = the numerators of the pct_teachers_* indicators;
-- Σ external_teachers of agg_external_teachers = external_teachers; agg_unit_student_teacher_ratio
-- sums to the parts of student_teacher_ratio (fte_students, teachers_total) and to
-- fulltime_teachers and external_teachers.
--
-- In Dagster: an asset check of fct_kpi_values (dagster-dbt's meta dagster.ref;
-- a test that reads several models is otherwise logged as an observation only).
{{ config(meta={'dagster': {'ref': {'name': 'fct_kpi_values'}}}) }}

with

kpi as (
    select
        academic_year,
        max(value) filter (where kpi_id = 'fulltime_teachers') as fulltime_teachers,
        max(value) filter (where kpi_id = 'external_teachers') as external_teachers,
        max(numerator) filter (where kpi_id = 'pct_teachers_senior_title') as senior,
        max(numerator) filter (where kpi_id = 'pct_teachers_postgrad_degree') as postgrad,
        max(numerator) filter (where kpi_id = 'pct_teachers_double_qualified') as double_qualified,
        max(numerator) filter (where kpi_id = 'student_teacher_ratio') as fte_students,
        max(denominator) filter (where kpi_id = 'student_teacher_ratio') as teachers_total
    from {{ ref('fct_kpi_values') }}
    where academic_year is not null and fiscal_year is null
    group by academic_year
),

faculty as (
    select
        academic_year,
        sum(fulltime_teachers) as fulltime_teachers,
        coalesce(sum(fulltime_teachers) filter (where title_level in ('正高', '副高')), 0) as senior,
        coalesce(sum(fulltime_teachers) filter (where degree_code in ('2', '3')), 0) as postgrad,
        coalesce(sum(fulltime_teachers) filter (where is_double_qualified), 0) as double_qualified
    from {{ ref('agg_faculty_census') }}
    group by academic_year
),

externals as (
    select
        academic_year,
        sum(external_teachers) as external_teachers
    from {{ ref('agg_external_teachers') }}
    group by academic_year
),

ratio as (
    select
        academic_year,
        sum(fte_students) as fte_students,
        sum(fulltime_teachers) as fulltime_teachers,
        sum(external_teachers) as external_teachers,
        sum(teachers_total) as teachers_total
    from {{ ref('agg_unit_student_teacher_ratio') }}
    group by academic_year
)

select k.*
from kpi as k
left join faculty as f on k.academic_year = f.academic_year
left join externals as x on k.academic_year = x.academic_year
left join ratio as r on k.academic_year = r.academic_year
where
    k.fulltime_teachers is distinct from coalesce(f.fulltime_teachers, 0)
    or k.senior is distinct from coalesce(f.senior, 0)
    or k.postgrad is distinct from coalesce(f.postgrad, 0)
    or k.double_qualified is distinct from coalesce(f.double_qualified, 0)
    or k.external_teachers is distinct from coalesce(x.external_teachers, 0)
    or k.fte_students is distinct from coalesce(r.fte_students, 0)
    or k.teachers_total is distinct from coalesce(r.teachers_total, 0)
    or k.fulltime_teachers is distinct from coalesce(r.fulltime_teachers, 0)
    or k.external_teachers is distinct from coalesce(r.external_teachers, 0)
