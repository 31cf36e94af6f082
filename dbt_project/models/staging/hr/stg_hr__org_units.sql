-- Organisation units (zzjg), the authoritative list: current version per dwh.
with

source as (
    {{ current_version(source('hr', 'zzjg'), ['dwh']) }}
),

renamed as (
    select
        {{ clean_code('dwh') }} as unit_code,
        dwmc as unit_name,
        {{ clean_code('sjdwh') }} as parent_unit_code,
        {{ clean_code('dwlbm') }} as unit_type_code,
        {{ text_to_date('jlrq') }} as established_on,
        {{ text_to_date('cxrq') }} as abolished_on,
        {{ text_to_timestamp('gxsj') }} as updated_at,
        _loaded_at as loaded_at
    from source
    where _op != 'D'
),

final as (
    select
        '{{ var("institution_code") }}' as institution_code,
        r.*,
        unit_type.label_zh as unit_type_label_zh,
        unit_type.code is not null as unit_type_is_valid
    from renamed as r
    left join {{ code_set('dwlbm') }} as unit_type on r.unit_type_code = unit_type.code
)

select * from final
