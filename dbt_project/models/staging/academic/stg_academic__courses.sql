-- Courses (kcxx): current version per kch.
with

source as (
    {{ current_version(source('academic', 'kcxx'), ['kch']) }}
),

renamed as (
    select
        {{ clean_code('kch') }} as course_id,
        kcmc as course_name,
        try_cast(trim(xf) as decimal(4, 1)) as credits,
        try_cast(trim(zxs) as integer) as teaching_hours,
        {{ clean_code('kcxzm') }} as course_nature_code,
        {{ clean_code('kkyxsh') }} as offering_unit_code,
        {{ text_to_timestamp('gxsj') }} as updated_at,
        _loaded_at as loaded_at
    from source
    where _op != 'D'
),

final as (
    select
        '{{ var("institution_code") }}' as institution_code,
        r.*,
        nature.label_zh as course_nature_label_zh,
        (r.course_nature_code is null or nature.code is not null) as course_nature_is_valid
    from renamed as r
    left join {{ code_set('kcxzm') }} as nature on r.course_nature_code = nature.code
)

select * from final
