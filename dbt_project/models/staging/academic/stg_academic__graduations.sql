-- Graduation conclusions (byxx): current version per xh.
with

source as (
    {{ current_version(source('academic', 'byxx'), ['xh']) }}
),

renamed as (
    select
        xh as student_id,
        {{ text_to_date('byrq') }} as conclusion_date,
        {{ clean_code('byjlm') }} as conclusion_code,
        {{ clean_code('xwm') }} as degree_code,
        {{ text_to_timestamp('gxsj') }} as updated_at,
        _loaded_at as loaded_at
    from source
    where _op != 'D'
),

final as (
    select
        '{{ var("institution_code") }}' as institution_code,
        r.*,
        conclusion.label_zh as conclusion_label_zh,
        conclusion.code is not null as conclusion_is_valid,
        degree.label_zh as degree_label_zh,
        (r.degree_code is null or degree.code is not null) as degree_is_valid
    from renamed as r
    left join {{ code_set('byjlm') }} as conclusion on r.conclusion_code = conclusion.code
    left join {{ code_set('xwm') }} as degree on r.degree_code = degree.code
)

select * from final
