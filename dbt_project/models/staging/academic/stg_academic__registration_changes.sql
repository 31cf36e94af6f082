-- Registration changes (xjyd): current version per ydid.
with

source as (
    {{ current_version(source('academic', 'xjyd'), ['ydid']) }}
),

renamed as (
    select
        try_cast(trim(ydid) as bigint) as change_id,
        xh as student_id,
        {{ clean_code('ydlbm') }} as change_type_code,
        {{ text_to_date('ydrq') }} as change_date,
        {{ clean_code('yxsh_q') }} as unit_code_before,
        {{ clean_code('zyh_q') }} as major_code_before,
        {{ clean_code('yxsh_h') }} as unit_code_after,
        {{ clean_code('zyh_h') }} as major_code_after,
        ydyy as reason,
        {{ text_to_timestamp('gxsj') }} as updated_at,
        _loaded_at as loaded_at
    from source
    where _op != 'D'
),

final as (
    select
        '{{ var("institution_code") }}' as institution_code,
        r.*,
        ct.label_zh as change_type_label_zh,
        ct.code is not null as change_type_is_valid,
        coalesce(r.change_type_code in ('14', '16', '18', '19', '20'), false) as is_leaving_event
    from renamed as r
    left join {{ code_set('ydlbm') }} as ct on r.change_type_code = ct.code
)

select * from final
