{{ config(materialized='table') }}
-- Grades (cjxx): current version per cjid, soft-deleted rows (sfsc = '1') left out.
-- The score text is classified: numeric 0-100, five-level, absent, deferred, or uninterpretable.
with

source as (
    {{ current_version(source('academic', 'cjxx'), ['cjid']) }}
),

renamed as (
    select
        try_cast(trim(cjid) as bigint) as grade_id,
        xh as student_id,
        jxbh as section_id,
        kch as course_id,
        trim(xnxq) as term_code,
        kscj as score_text,
        try_cast(trim(jd) as decimal(3, 2)) as grade_point,
        {{ clean_code('ksxzm') }} as sitting_code,
        {{ clean_code('sfsc') }} as is_deleted_flag,
        {{ text_to_timestamp('gxsj') }} as updated_at,
        _loaded_at as loaded_at
    from source
    where _op != 'D'
),

classified as (
    select
        *,
        case
            when
                regexp_full_match(term_code, '[0-9]{4}-[0-9]{4}-[12]')
                and try_cast(substr(term_code, 6, 4) as integer) = try_cast(substr(term_code, 1, 4) as integer) + 1
                then try_cast(substr(term_code, 1, 4) as integer)
        end as academic_year,
        case
            when
                regexp_full_match(trim(score_text), '[0-9]+(\.[0-9]+)?')
                and try_cast(trim(score_text) as decimal(18, 6)) <= 100
                then try_cast(trim(score_text) as decimal(18, 6))
        end as score_numeric
    from renamed
    where coalesce(is_deleted_flag, '0') != '1'
),

final as (
    select
        '{{ var("institution_code") }}' as institution_code,
        c.grade_id,
        c.student_id,
        c.section_id,
        c.course_id,
        c.term_code,
        c.academic_year,
        c.score_text,
        c.score_numeric,
        c.grade_point,
        c.sitting_code,
        sitting.label_zh as sitting_label_zh,
        c.updated_at,
        c.loaded_at,
        case
            when c.score_numeric is not null then 'numeric'
            when trim(c.score_text) in ('优秀', '良好', '中等', '及格', '不及格') then 'five_level'
            when trim(c.score_text) = '缺考' then 'absent'
            when trim(c.score_text) = '缓考' then 'deferred'
            when nullif(trim(c.score_text), '') is null then 'missing'
            else 'uninterpretable'
        end as score_kind,
        case
            when c.score_numeric is not null then c.score_numeric >= 60
            when trim(c.score_text) in ('优秀', '良好', '中等', '及格') then true
            when trim(c.score_text) in ('不及格', '缺考') then false
        end as is_pass,
        sitting.code is not null as sitting_is_valid
    from classified as c
    left join {{ code_set('ksxzm') }} as sitting on c.sitting_code = sitting.code
)

select * from final
