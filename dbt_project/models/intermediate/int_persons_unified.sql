{{ config(materialized='table') }}
-- Identity resolution: each person record (int_person_records) gets the key of the person it is.
-- Rules, in order (no fuzzy matching, no merge on names or birth dates alone):
--   1. records with the same valid citizen ID number (GB 11643, upper-case X) are one person,
--      person_key = md5(institution_code || 'id:' || id_number), unless their attributes
--      conflict (more than one name, ignoring white space, or more than one birth date among the
--      records): then nothing is merged, every record of that number falls back to rule 2 and the
--      number is listed in int_person_conflicts for the stewards;
--   2. otherwise the record is its own person under its system key:
--      md5(institution_code || 'student:' || xh) for academic students and for payment student
--      numbers unknown to the academic system (the same key a student record of that xh would
--      get), 'staff:' || gh for HR staff, 'external:' || wpbh for external teachers.
-- One row per (institution, source system, source key).
with

records as (
    select * from {{ ref('int_person_records') }}
),

id_groups as (
    select
        id_number,
        count(*) as record_count,
        count(distinct name_normalised) as distinct_names,
        count(distinct birth_date) as distinct_birth_dates
    from records
    where id_number_is_valid
    group by id_number
),

resolved as (
    select
        r.*,
        g.record_count as id_record_count,
        coalesce(g.distinct_names > 1 or g.distinct_birth_dates > 1, false) as has_identity_conflict,
        case r.source_system
            when 'hr' then 'staff:'
            when 'external' then 'external:'
            else 'student:'
        end || r.source_key as system_key
    from records as r
    left join id_groups as g
        -- one equality (no one-sided condition in ON: DuckDB would fall back to a nested loop)
        on (case when r.id_number_is_valid then r.id_number end) = g.id_number
),

final as (
    select
        institution_code,
        source_system,
        source_key,
        person_name,
        name_normalised,
        gender_code,
        birth_date,
        id_document_type_code,
        id_number,
        id_number_is_valid,
        has_identity_conflict,
        updated_at,
        attribute_rank,
        case
            when id_number_is_valid and not has_identity_conflict
                then md5(institution_code || 'id:' || id_number)
            else md5(institution_code || system_key)
        end as person_key,
        case
            when id_number_is_valid and not has_identity_conflict then 'id_number'
            when id_number_is_valid then 'system_key_conflict'
            else 'system_key'
        end as resolution_method,
        case when id_number_is_valid and not has_identity_conflict then 'id:' || id_number else system_key end
            as person_natural_key,
        coalesce(id_record_count, 1) as id_record_count
    from resolved
)

select * from final
