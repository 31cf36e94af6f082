-- Administrative classes (bjxx): current version per bh.
with

source as (
    {{ current_version(source('academic', 'bjxx'), ['bh']) }}
),

renamed as (
    select
        '{{ var("institution_code") }}' as institution_code,
        {{ clean_code('bh') }} as class_code,
        bjmc as class_name,
        {{ clean_code('zyh') }} as major_code,
        try_cast(trim(nj) as integer) as cohort_year,
        {{ text_to_timestamp('gxsj') }} as updated_at,
        _loaded_at as loaded_at
    from source
    where _op != 'D'
),

final as (
    select * from renamed
)

select * from final
