-- Organisation units from HR's authoritative list (zzjg), with the stray source codes that the
-- crosswalk or identity maps to each. One row per (institution, unit_code = zzjg.dwh).
with

units as (
    select * from {{ ref('stg_hr__org_units') }}
),

source_codes as (
    select
        hr_unit_code,
        string_agg(source_system || ':' || source_code, ',' order by source_system, source_code) as mapped_codes
    from {{ ref('int_org_unit_codes') }}
    where match_method = 'crosswalk'
    group by hr_unit_code
),

final as (
    select
        cast(u.institution_code as varchar) as institution_code,
        cast(u.unit_code as varchar) as unit_code,
        cast(u.unit_name as varchar) as unit_name,
        cast({{ name_en('org_unit', 'u.unit_code') }} as varchar) as unit_name_en,
        cast(u.parent_unit_code as varchar) as parent_unit_code,
        cast(p.unit_name as varchar) as parent_unit_name,
        cast(u.unit_type_code as varchar) as unit_type_code,
        cast(u.unit_type_label_zh as varchar) as unit_type_name,
        cast(coalesce(u.unit_type_code = '01', false) as boolean) as is_teaching,
        cast(u.abolished_on is null as boolean) as is_active,
        cast(u.established_on as date) as established_on,
        cast(u.abolished_on as date) as abolished_on,
        cast(s.mapped_codes as varchar) as crosswalk_source_codes
    from units as u
    left join units as p
        on u.parent_unit_code = p.unit_code
    left join source_codes as s
        on u.unit_code = s.hr_unit_code
)

select * from final
