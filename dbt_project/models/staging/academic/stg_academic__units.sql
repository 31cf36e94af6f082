-- Organisation units as the academic system knows them (dm_yxs): current version per yxsh.
with

source as (
    {{ current_version(source('academic', 'dm_yxs'), ['yxsh']) }}
),

renamed as (
    select
        '{{ var("institution_code") }}' as institution_code,
        {{ clean_code('yxsh') }} as unit_code,
        yxsmc as unit_name,
        yxsjc as unit_short_name,
        {{ clean_code('sfjxdw') }} = '1' as is_teaching_unit,
        coalesce({{ clean_code('sfyx') }}, '1') = '1' as is_active,
        {{ text_to_timestamp('gxsj') }} as updated_at,
        _loaded_at as loaded_at
    from source
    where _op != 'D'
),

final as (
    select * from renamed
)

select * from final
