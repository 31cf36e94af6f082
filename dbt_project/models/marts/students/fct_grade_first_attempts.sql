-- First attempts of academic year Y (kpis.md first_attempt_pass_rate), steps in order:
-- current version of each cjid, soft-deleted dropped (staging); terms Y-(Y+1)-1/-2 and normal
-- sittings (ksxzm = '01'); rows with an unreadable gxsj are left out; per (xh, jxbh) the row with
-- the greatest gxsj, ties by greatest cjid.
-- One row per (institution, academic year, student, section); is_counted is false for deferred
-- (缓考), missing and uninterpretable scores.
with

grades as (
    select * from {{ ref('stg_academic__grades') }}
),

normal_sittings as (
    select *
    from grades
    where academic_year is not null and sitting_code = '01' and updated_at is not null
),

latest as (
    select *
    from normal_sittings
    qualify row_number() over (
        partition by academic_year, student_id, section_id
        order by updated_at desc, grade_id desc
    ) = 1
),

final as (
    select
        '{{ var("institution_code") }}' as institution_code,
        academic_year,
        student_id,
        section_id,
        grade_id,
        course_id,
        term_code,
        score_kind,
        score_numeric,
        score_kind in ('numeric', 'five_level', 'absent') as is_counted,
        case when score_kind in ('numeric', 'five_level', 'absent') then is_pass end as is_pass
    from latest
)

select * from final
