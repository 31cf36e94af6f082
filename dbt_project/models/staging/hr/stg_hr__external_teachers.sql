-- External teachers engaged by the college (wpjs): current version per wpbh.
with

source as (
    {{ current_version(source('hr', 'wpjs'), ['wpbh']) }}
),

renamed as (
    select
        wpbh as external_teacher_id,
        xm as teacher_name,
        {{ map_legacy_code('xbm', clean_code('xbm')) }} as gender_code,
        {{ clean_code('sfzjlxm') }} as id_document_type_code,
        {{ normalise_id_number('sfzjh') }} as id_number,
        {{ clean_code('zyjszwm') }} as title_code,
        {{ clean_code('zgxwm') }} as highest_degree_code,
        {{ clean_code('pdwh') }} as engaging_unit_code,
        {{ text_to_date('prksrq') }} as engaged_from,
        {{ text_to_date('prjsrq') }} as engaged_to,
        (
            not {{ date_text_is_invalid('prksrq') }}
            and not {{ date_text_is_invalid('prjsrq') }}
        ) as engagement_dates_are_valid,
        {{ text_to_timestamp('gxsj') }} as updated_at,
        _loaded_at as loaded_at
    from source
    where _op != 'D'
),

final as (
    select
        '{{ var("institution_code") }}' as institution_code,
        r.external_teacher_id,
        r.teacher_name,
        r.gender_code,
        r.id_document_type_code,
        r.id_number,
        {{ cn_id_is_valid('r.id_number') }} as id_number_is_valid,
        r.title_code,
        title.title_level_zh,
        (r.title_code is null or title.title_code is not null) as title_is_valid,
        r.highest_degree_code,
        r.engaging_unit_code,
        r.engaged_from,
        r.engaged_to,
        r.engagement_dates_are_valid,
        r.updated_at,
        r.loaded_at
    from renamed as r
    left join {{ ref('professional_titles') }} as title on r.title_code = title.title_code
)

select * from final
