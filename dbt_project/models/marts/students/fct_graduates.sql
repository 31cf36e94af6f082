-- One row per graduation record with conclusion graduated (byjlm = '01'), by the academic year
-- its date falls in. Level from the version held at the graduation date; degree-conferring
-- levels are undergraduate (1) and master's (3); placed when the destination is 10, 11, 12,
-- 20, 21 or 30 (no destination record: not placed).
with

graduations as (
    select * from {{ ref('stg_academic__graduations') }}
),

versions as (
    select * from {{ ref('int_student_versions') }}
),

destinations as (
    select * from {{ ref('stg_academic__graduate_destinations') }}
),

graduates as (
    select
        g.student_id,
        g.conclusion_date,
        cast({{ academic_year_of('g.conclusion_date') }} as integer) as academic_year,
        g.degree_code
    from graduations as g
    where g.conclusion_code = '01' and g.conclusion_date is not null
),

final as (
    select
        '{{ var("institution_code") }}' as institution_code,
        g.academic_year,
        g.student_id,
        g.conclusion_date,
        v.level_code,
        coalesce(v.level_code in ('1', '3'), false) as confers_degree,
        g.degree_code,
        g.degree_code is not null as has_degree,
        d.destination_code,
        d.student_id is not null as has_destination_record,
        coalesce(d.is_placed, false) as is_placed
    from graduates as g
    left join versions as v
        on
            g.student_id = v.student_id
            and {{ held_at('v', 'g.conclusion_date') }}
    left join destinations as d
        on g.student_id = d.student_id
)

select * from final
