{{ config(materialized='table') }}
-- Every organisation-unit code the source systems use, reconciled to HR's authoritative list
-- (zzjg.dwh, 一数一源): the steward-maintained crosswalk seed unit_crosswalk maps it first (only to
-- a unit zzjg holds); else a code equal to a zzjg.dwh is that unit; else it stays unmatched,
-- visible and flagged (is_matched = false), never dropped.
-- One row per (institution, source system, source code).
with

hr_units as (
    select
        unit_code,
        unit_name
    from {{ ref('stg_hr__org_units') }}
),

crosswalk as (
    select
        source_system,
        source_code,
        hr_unit_code,
        note
    from {{ ref('unit_crosswalk') }}
),

used_codes as (
    select
        'hr' as source_system,
        unit_code as source_code,
        unit_name as source_unit_name
    from {{ ref('stg_hr__org_units') }}
    union all
    select
        'hr' as source_system,
        unit_code as source_code,
        null as source_unit_name
    from {{ ref('stg_hr__staff') }}
    union all
    select
        'hr' as source_system,
        engaging_unit_code as source_code,
        null as source_unit_name
    from {{ ref('stg_hr__external_teachers') }}
    union all
    select
        'hr' as source_system,
        unit_code as source_code,
        null as source_unit_name
    from {{ ref('int_staff_versions') }}
    union all
    select
        'academic' as source_system,
        unit_code as source_code,
        unit_name as source_unit_name
    from {{ ref('stg_academic__units') }}
    union all
    select
        'academic' as source_system,
        unit_code as source_code,
        null as source_unit_name
    from {{ ref('int_student_versions') }}
    union all
    select
        'academic' as source_system,
        unit_code as source_code,
        null as source_unit_name
    from {{ ref('stg_academic__majors') }}
    union all
    select
        'academic' as source_system,
        offering_unit_code as source_code,
        null as source_unit_name
    from {{ ref('stg_academic__courses') }}
    union all
    select
        'academic' as source_system,
        unit_code_before as source_code,
        null as source_unit_name
    from {{ ref('stg_academic__registration_changes') }}
    union all
    select
        'academic' as source_system,
        unit_code_after as source_code,
        null as source_unit_name
    from {{ ref('stg_academic__registration_changes') }}
    union all
    select
        'finance' as source_system,
        unit_code as source_code,
        unit_name as source_unit_name
    from {{ ref('stg_finance__budget_lines') }}
    union all
    select
        'finance' as source_system,
        unit_code as source_code,
        unit_name as source_unit_name
    from {{ ref('stg_finance__ledger_lines') }}
),

codes as (
    select
        source_system,
        source_code,
        min(source_unit_name) as source_unit_name
    from used_codes
    where source_code is not null
    group by source_system, source_code
),

final as (
    select
        '{{ var("institution_code") }}' as institution_code,
        c.source_system,
        c.source_code,
        c.source_unit_name,
        x.hr_unit_code as crosswalk_hr_unit_code,
        x.note as crosswalk_note,
        coalesce(mapped.unit_code, same.unit_code) as hr_unit_code,
        coalesce(mapped.unit_name, same.unit_name) as hr_unit_name,
        case
            when mapped.unit_code is not null then 'crosswalk'
            when same.unit_code is not null then 'identical'
            else 'unmatched'
        end as match_method,
        coalesce(mapped.unit_code, same.unit_code) is not null as is_matched
    from codes as c
    left join hr_units as same
        on c.source_code = same.unit_code
    left join crosswalk as x
        on c.source_system = x.source_system and c.source_code = x.source_code
    left join hr_units as mapped
        on x.hr_unit_code = mapped.unit_code
)

select * from final
