-- agg_student_census agrees with fct_kpi_values: per academic year Σ headcount = registered_students,
-- Σ headcount of full-time students = fulltime_students, Σ fte = the unrounded fte_students (the
-- numerator of student_teacher_ratio) and, rounded half-up to 1 decimal, the published fte_students.
-- Every year of the aggregate is a year of the indicators.
--
-- In Dagster: an asset check of fct_kpi_values (dagster-dbt's meta dagster.ref;
-- a test that reads several models is otherwise logged as an observation only).
{{ config(meta={'dagster': {'ref': {'name': 'fct_kpi_values'}}}) }}

with

kpi as (
    select * from {{ ref('fct_kpi_values') }}
    where academic_year is not null and fiscal_year is null
),

agg as (
    select
        academic_year,
        sum(headcount) as headcount,
        coalesce(sum(headcount) filter (where study_mode_code = '1'), 0) as fulltime,
        sum(fte) as fte
    from {{ ref('agg_student_census') }}
    group by academic_year
),

years as (
    select distinct academic_year from kpi
),

compared as (
    select
        y.academic_year,
        max(k.value) filter (where k.kpi_id = 'registered_students') as registered_students,
        max(k.value) filter (where k.kpi_id = 'fulltime_students') as fulltime_students,
        max(k.value) filter (where k.kpi_id = 'fte_students') as fte_students,
        max(k.numerator) filter (where k.kpi_id = 'student_teacher_ratio') as fte_exact,
        coalesce(max(a.headcount), 0) as agg_headcount,
        coalesce(max(a.fulltime), 0) as agg_fulltime,
        coalesce(max(a.fte), 0) as agg_fte
    from years as y
    inner join kpi as k on y.academic_year = k.academic_year
    left join agg as a on y.academic_year = a.academic_year
    group by y.academic_year
)

select
    academic_year,
    'kpi mismatch' as problem
from compared
where
    registered_students is distinct from agg_headcount
    or fulltime_students is distinct from agg_fulltime
    or fte_exact is distinct from agg_fte
    or fte_students is distinct from {{ round_half_up('agg_fte', 1) }}
union all
select
    academic_year,
    'year without indicators' as problem
from agg
where academic_year not in (select y.academic_year from years as y)
