-- Majors (zyxx): current version per zyh.
with

source as (
    {{ current_version(source('academic', 'zyxx'), ['zyh']) }}
),

renamed as (
    select
        {{ clean_code('zyh') }} as major_code,
        zymc as major_name,
        {{ clean_code('gbzydm') }} as national_major_code,
        {{ clean_code('yxsh') }} as unit_code,
        {{ clean_code('pycc') }} as level_code,
        try_cast(trim(xz) as integer) as duration_years,
        coalesce({{ clean_code('sfyx') }}, '1') = '1' as is_active,
        {{ text_to_timestamp('gxsj') }} as updated_at,
        _loaded_at as loaded_at
    from source
    where _op != 'D'
),

final as (
    select
        '{{ var("institution_code") }}' as institution_code,
        r.*,
        lvl.label_zh as level_label_zh,
        lvl.code is not null as level_is_valid
    from renamed as r
    left join {{ code_set('pycc') }} as lvl on r.level_code = lvl.code
)

select * from final
