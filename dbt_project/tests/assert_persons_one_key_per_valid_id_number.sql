-- Identity resolution: records sharing a valid citizen ID number without a conflict resolve to
-- exactly one person_key, and records held apart by a conflict are listed in int_person_conflicts.
--
-- In Dagster: an asset check of int_persons_unified (dagster-dbt's meta dagster.ref;
-- a test that reads several models is otherwise logged as an observation only).
{{ config(meta={'dagster': {'ref': {'name': 'int_persons_unified'}}}) }}

select
    u.id_number,
    'several person keys' as problem
from {{ ref('int_persons_unified') }} as u
where u.resolution_method = 'id_number'
group by u.id_number
having count(distinct u.person_key) > 1
union all
select
    u.id_number,
    'conflict not listed' as problem
from {{ ref('int_persons_unified') }} as u
left join {{ ref('int_person_conflicts') }} as c
    on u.source_system = c.source_system and u.source_key = c.source_key
where u.resolution_method = 'system_key_conflict' and c.source_key is null
