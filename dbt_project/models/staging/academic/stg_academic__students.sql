-- Students (xsjbsj): current version per xh; attributes renamed, typed and mapped to code sets.
with

source as (
    {{ current_version(source('academic', 'xsjbsj'), ['xh']) }}
),

renamed as (
    select
        xh as student_id,
        xm as student_name,
        {{ map_legacy_code('xbm', clean_code('xbm')) }} as gender_code,
        xbm as gender_source_value,
        csrq as birth_date_text,
        {{ text_to_date_any('csrq') }} as birth_date,
        {{ clean_code('mzm') }} as ethnicity_code,
        {{ clean_code('gjdqm') }} as nationality_code,
        {{ clean_code('sfzjlxm') }} as id_document_type_code,
        {{ normalise_id_number('sfzjh') }} as id_number,
        {{ clean_code('yxsh') }} as unit_code,
        {{ clean_code('zyh') }} as major_code,
        {{ clean_code('bh') }} as class_code,
        try_cast(trim(nj) as integer) as cohort_year,
        {{ text_to_date('rxrq') }} as enrolment_date,
        {{ clean_code('pycc') }} as level_code,
        {{ clean_code('xxxs') }} as study_mode_code,
        {{ clean_code('xjztm') }} as status_code,
        sjhm as mobile_phone,
        {{ text_to_timestamp('gxsj') }} as updated_at,
        _loaded_at as loaded_at
    from source
    where _op != 'D'
),

final as (
    select
        '{{ var("institution_code") }}' as institution_code,
        r.student_id,
        r.student_name,
        r.gender_code,
        r.gender_source_value,
        gender.label_zh as gender_label_zh,
        gender.code is not null as gender_is_valid,
        r.birth_date,
        (r.birth_date_text is null or r.birth_date is not null) as birth_date_is_valid,
        r.ethnicity_code,
        ethnicity.label_zh as ethnicity_label_zh,
        (r.ethnicity_code is null or ethnicity.code is not null) as ethnicity_is_valid,
        r.nationality_code,
        coalesce(nat.is_domestic, false) as is_domestic,
        r.nationality_code is not null and not coalesce(nat.is_domestic, false) as is_international,
        coalesce(regexp_full_match(r.nationality_code, '[0-9]{3}'), false) as nationality_is_valid,
        r.id_document_type_code,
        r.id_number,
        {{ cn_id_is_valid('r.id_number') }} as id_number_is_valid,
        r.unit_code,
        r.major_code,
        r.class_code,
        r.cohort_year,
        r.enrolment_date,
        r.level_code,
        lvl.label_zh as level_label_zh,
        lvl.code is not null as level_is_valid,
        r.study_mode_code,
        mode.label_zh as study_mode_label_zh,
        mode.code is not null as study_mode_is_valid,
        r.status_code,
        status.label_zh as status_label_zh,
        status.code is not null as status_is_valid,
        r.mobile_phone,
        r.updated_at,
        r.loaded_at
    from renamed as r
    left join {{ code_set('xbm') }} as gender on r.gender_code = gender.code
    left join {{ code_set('mzm') }} as ethnicity on r.ethnicity_code = ethnicity.code
    left join {{ ref('nationality_regions') }} as nat on r.nationality_code = nat.nationality_code
    left join {{ code_set('pycc') }} as lvl on r.level_code = lvl.code
    left join {{ code_set('xxxs') }} as mode on r.study_mode_code = mode.code
    left join {{ code_set('xjztm') }} as status on r.status_code = status.code
)

select * from final
