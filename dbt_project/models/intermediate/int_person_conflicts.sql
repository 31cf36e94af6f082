-- For data stewards: valid citizen ID numbers whose records disagree on the name (ignoring white
-- space) or the birth date. Such records are never merged (int_persons_unified keeps each under
-- its system key) until a steward corrects the source. One row per (institution, ID number,
-- source system, source key) of every record of a conflicting number.
with

unified as (
    select * from {{ ref('int_persons_unified') }}
    where has_identity_conflict
),

per_number as (
    select
        id_number,
        count(distinct name_normalised) as distinct_names,
        count(distinct birth_date) as distinct_birth_dates,
        count(*) as record_count
    from unified
    group by id_number
),

final as (
    select
        u.institution_code,
        u.id_number,
        u.source_system,
        u.source_key,
        u.person_key,
        u.person_name,
        u.birth_date,
        p.distinct_names,
        p.distinct_birth_dates,
        p.record_count,
        concat_ws(
            ',',
            case when p.distinct_names > 1 then 'name' end,
            case when p.distinct_birth_dates > 1 then 'birth_date' end
        ) as conflict_on
    from unified as u
    inner join per_number as p
        on u.id_number = p.id_number
)

select * from final
