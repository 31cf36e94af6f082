-- Each student's first leaving event (kpis.md "Registered at C"): the earliest of their leaving
-- registration changes (ydlbm 14, 16, 18, 19, 20) and their graduation record (any byjlm);
-- on the same day the graduation record counts. Rows with an unreadable date are left out.
with

changes as (
    select
        student_id,
        change_date as event_date,
        'registration_change' as event_source,
        change_type_code as event_code,
        2 as same_day_rank
    from {{ ref('stg_academic__registration_changes') }}
    where is_leaving_event and change_date is not null
),

graduations as (
    select
        student_id,
        conclusion_date as event_date,
        'graduation' as event_source,
        conclusion_code as event_code,
        1 as same_day_rank
    from {{ ref('stg_academic__graduations') }}
    where conclusion_date is not null
),

events as (
    select * from changes
    union all
    select * from graduations
),

final as (
    select
        '{{ var("institution_code") }}' as institution_code,
        student_id,
        event_date as first_leaving_date,
        event_source as first_leaving_source,
        event_code as first_leaving_code
    from events
    qualify row_number() over (
        partition by student_id order by event_date, same_day_rank, event_code
    ) = 1
)

select * from final
