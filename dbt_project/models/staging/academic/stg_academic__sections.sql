-- Teaching tasks / course sections (jxrw): current version per jxbh.
with

source as (
    {{ current_version(source('academic', 'jxrw'), ['jxbh']) }}
),

renamed as (
    select
        '{{ var("institution_code") }}' as institution_code,
        jxbh as section_id,
        trim(xnxq) as term_code,
        {{ clean_code('kch') }} as course_id,
        {{ clean_code('jsgh') }} as teacher_id,
        {{ clean_code('jslx') }} as teacher_type_code,
        case {{ clean_code('jslx') }} when '1' then 'staff' when '2' then 'external' end as teacher_type,
        try_cast(trim(xkrs) as integer) as enrolled_count,
        {{ text_to_timestamp('gxsj') }} as updated_at,
        _loaded_at as loaded_at
    from source
    where _op != 'D'
),

final as (
    select * from renamed
)

select * from final
