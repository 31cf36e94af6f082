-- Every version of each staff row the warehouse holds (raw jzgjbxx), with its validity interval
-- (valid_from = _loaded_at, first version open to the past; valid_to = next version's _loaded_at).
-- Used for staff category, degree, double-qualified flag and unit "as held at" a date.
with

source as (
    select *
    from {{ source('hr', 'jzgjbxx') }}
    where _op != 'D'
),

versioned as (
    select
        gh as staff_id,
        {{ clean_code('jzglbm') }} as staff_category_code,
        {{ clean_code('zgxwm') }} as highest_degree_code,
        coalesce({{ clean_code('sfssx') }} = '1', false) as is_double_qualified,
        {{ clean_code('dwh') }} as unit_code,
        _loaded_at as loaded_at,
        row_number() over (partition by gh order by _loaded_at) as version_no,
        lead(_loaded_at) over (partition by gh order by _loaded_at) as next_loaded_at
    from source
),

final as (
    select
        '{{ var("institution_code") }}' as institution_code,
        staff_id,
        version_no,
        case when version_no > 1 then loaded_at end as valid_from,
        next_loaded_at as valid_to,
        staff_category_code,
        highest_degree_code,
        is_double_qualified,
        unit_code,
        loaded_at
    from versioned
)

select * from final
