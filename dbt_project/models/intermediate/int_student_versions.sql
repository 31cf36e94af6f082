-- Every version of each student row the warehouse holds (raw xsjbsj), with its validity
-- interval: valid_from = _loaded_at (the first version open to the past), valid_to = the next
-- version's _loaded_at. Used for attributes without source history (nationality, level, study
-- mode, unit, major) "as held at" a date (kpis.md "History and as-of rules").
with

source as (
    select *
    from {{ source('academic', 'xsjbsj') }}
    where _op != 'D'
),

versioned as (
    select
        xh as student_id,
        {{ clean_code('gjdqm') }} as nationality_code,
        {{ clean_code('pycc') }} as level_code,
        {{ clean_code('xxxs') }} as study_mode_code,
        {{ clean_code('yxsh') }} as unit_code,
        {{ clean_code('zyh') }} as major_code,
        _loaded_at as loaded_at,
        row_number() over (partition by xh order by _loaded_at) as version_no,
        lead(_loaded_at) over (partition by xh order by _loaded_at) as next_loaded_at
    from source
),

final as (
    select
        '{{ var("institution_code") }}' as institution_code,
        v.student_id,
        v.version_no,
        case when v.version_no > 1 then v.loaded_at end as valid_from,
        v.next_loaded_at as valid_to,
        v.nationality_code,
        v.nationality_code is not null and not coalesce(nat.is_domestic, false) as is_international,
        v.level_code,
        v.study_mode_code,
        v.unit_code,
        v.major_code,
        v.loaded_at
    from versioned as v
    left join {{ ref('nationality_regions') }} as nat on v.nationality_code = nat.nationality_code
)

select * from final
