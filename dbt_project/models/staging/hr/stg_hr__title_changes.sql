-- Title history (zcbd): current version per bdid.
with

source as (
    {{ current_version(source('hr', 'zcbd'), ['bdid']) }}
),

renamed as (
    select
        try_cast(trim(bdid) as bigint) as title_change_id,
        gh as staff_id,
        {{ clean_code('zyjszwm_q') }} as title_code_before,
        {{ clean_code('zyjszwm_h') }} as title_code,
        {{ text_to_date('prrq') }} as effective_on,
        {{ text_to_timestamp('gxsj') }} as updated_at,
        _loaded_at as loaded_at
    from source
    where _op != 'D'
),

final as (
    select
        '{{ var("institution_code") }}' as institution_code,
        r.*,
        title.title_zh,
        title.title_level_zh,
        coalesce(title.is_senior, false) as is_senior,
        title.title_code is not null as title_is_valid
    from renamed as r
    left join {{ ref('professional_titles') }} as title on r.title_code = title.title_code
)

select * from final
