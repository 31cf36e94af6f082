-- A view, not a table: no published mart reads this restricted person-level fact, and writing its
-- 2.3 M rows (medium college) again after staging was the largest single cost of the build.
{{ config(materialized='view') }}
-- Grades (cjxx) at their current version, soft-deleted rows left out: every sitting (normal,
-- resit, retake), with the score classified (numeric 0-100, five-level, absent, deferred,
-- missing, uninterpretable) and the pass/fail reading of kpis.md. One row per (institution,
-- grade_id = cjid). Restricted: person-level.
with

grades as (
    select * from {{ ref('stg_academic__grades') }}
),

persons as (
    select * from {{ ref('int_persons_unified') }}
    where source_system = 'academic'
),

courses as (
    select * from {{ ref('stg_academic__courses') }}
),

final as (
    select
        cast(g.institution_code as varchar) as institution_code,
        cast(g.grade_id as bigint) as grade_id,
        cast(g.student_id as varchar) as student_id,
        cast(coalesce(p.person_key, md5(g.institution_code || 'student:' || g.student_id)) as varchar)
            as person_key,
        cast(g.section_id as varchar) as section_id,
        cast(g.course_id as varchar) as course_code,
        cast(g.term_code as varchar) as term_code,
        cast(g.academic_year as integer) as academic_year,
        cast(case when g.academic_year is not null then try_cast(substr(g.term_code, 11, 1) as integer) end as integer)
            as term_no,
        cast(g.sitting_code as varchar) as sitting_code,
        cast(g.sitting_label_zh as varchar) as sitting_name,
        cast(g.score_text as varchar) as score_text,
        cast(g.score_numeric as decimal(18, 6)) as score_numeric,
        cast(g.score_kind as varchar) as score_kind,
        cast(g.is_pass as boolean) as is_pass,
        cast(g.grade_point as decimal(3, 2)) as grade_point,
        cast(c.credits as decimal(4, 1)) as credits,
        cast(g.updated_at as timestamp) as updated_at
    from grades as g
    left join persons as p
        on g.student_id = p.source_key
    left join courses as c
        on g.course_id = c.course_id
)

select * from final
