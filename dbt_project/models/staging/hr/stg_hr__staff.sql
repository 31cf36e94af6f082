-- Staff (jzgjbxx): current version per gh; attributes renamed, typed and mapped.
with

source as (
    {{ current_version(source('hr', 'jzgjbxx'), ['gh']) }}
),

renamed as (
    select
        gh as staff_id,
        xm as staff_name,
        {{ map_legacy_code('xbm', clean_code('xbm')) }} as gender_code,
        {{ text_to_date('csrq') }} as birth_date,
        {{ clean_code('mzm') }} as ethnicity_code,
        {{ clean_code('sfzjlxm') }} as id_document_type_code,
        {{ normalise_id_number('sfzjh') }} as id_number,
        {{ clean_code('dwh') }} as unit_code,
        {{ clean_code('jzglbm') }} as staff_category_code,
        {{ clean_code('yrfsm') }} as employment_form_code,
        {{ clean_code('zyjszwm') }} as current_title_code,
        {{ clean_code('zgxlm') }} as highest_education_code,
        {{ clean_code('zgxwm') }} as highest_degree_code,
        coalesce({{ clean_code('sfssx') }} = '1', false) as is_double_qualified,
        {{ text_to_date('lxrq') }} as joined_on,
        {{ text_to_date('lzrq') }} as left_on,
        not {{ date_text_is_invalid('lxrq') }} and not {{ date_text_is_invalid('lzrq') }} as employment_dates_are_valid,
        {{ clean_code('dqztm') }} as status_code,
        {{ text_to_timestamp('gxsj') }} as updated_at,
        _loaded_at as loaded_at
    from source
    where _op != 'D'
),

final as (
    select
        '{{ var("institution_code") }}' as institution_code,
        r.staff_id,
        r.staff_name,
        r.gender_code,
        gender.code is not null as gender_is_valid,
        r.birth_date,
        r.ethnicity_code,
        (r.ethnicity_code is null or ethnicity.code is not null) as ethnicity_is_valid,
        r.id_document_type_code,
        r.id_number,
        {{ cn_id_is_valid('r.id_number') }} as id_number_is_valid,
        r.unit_code,
        r.staff_category_code,
        category.label_zh as staff_category_label_zh,
        category.code is not null as staff_category_is_valid,
        r.staff_category_code = '01' as is_fulltime_teacher_category,
        r.employment_form_code,
        (r.employment_form_code is null or form.code is not null) as employment_form_is_valid,
        r.current_title_code,
        title.title_level_zh as current_title_level_zh,
        (r.current_title_code is null or title.title_code is not null) as current_title_is_valid,
        r.highest_education_code,
        (r.highest_education_code is null or edu.code is not null) as highest_education_is_valid,
        r.highest_degree_code,
        (r.highest_degree_code is null or degree.code is not null) as highest_degree_is_valid,
        coalesce(r.highest_degree_code in ('2', '3'), false) as has_postgrad_degree,
        r.is_double_qualified,
        r.joined_on,
        r.left_on,
        r.employment_dates_are_valid,
        r.status_code,
        status.code is not null as status_is_valid,
        r.updated_at,
        r.loaded_at
    from renamed as r
    left join {{ code_set('xbm') }} as gender on r.gender_code = gender.code
    left join {{ code_set('mzm') }} as ethnicity on r.ethnicity_code = ethnicity.code
    left join {{ code_set('jzglbm') }} as category on r.staff_category_code = category.code
    left join {{ code_set('yrfsm') }} as form on r.employment_form_code = form.code
    left join {{ ref('professional_titles') }} as title on r.current_title_code = title.title_code
    left join {{ code_set('zgxlm') }} as edu on r.highest_education_code = edu.code
    left join {{ code_set('xwm') }} as degree on r.highest_degree_code = degree.code
    left join {{ code_set('dqztm') }} as status on r.status_code = status.code
)

select * from final
