-- Graduate destinations (byqx): current version per xh.
with

source as (
    {{ current_version(source('academic', 'byqx'), ['xh']) }}
),

renamed as (
    select
        xh as student_id,
        try_cast(trim(bynf) as integer) as graduation_year,
        {{ clean_code('qxlbm') }} as destination_code,
        dwmc as destination_name,
        {{ text_to_timestamp('gxsj') }} as updated_at,
        _loaded_at as loaded_at
    from source
    where _op != 'D'
),

final as (
    select
        '{{ var("institution_code") }}' as institution_code,
        r.*,
        dest.label_zh as destination_label_zh,
        dest.code is not null as destination_is_valid,
        coalesce(r.destination_code in ('10', '11', '12', '20', '21', '30'), false) as is_placed
    from renamed as r
    left join {{ code_set('qxlbm') }} as dest on r.destination_code = dest.code
)

select * from final
