-- Majors (zyxx) with the owning unit reconciled to HR's unit codes. One row per (institution,
-- major_code = zyh).
with

majors as (
    select * from {{ ref('stg_academic__majors') }}
),

unit_codes as (
    select * from {{ ref('int_org_unit_codes') }}
    where source_system = 'academic'
),

final as (
    select
        cast(m.institution_code as varchar) as institution_code,
        cast(m.major_code as varchar) as major_code,
        cast(m.major_name as varchar) as major_name,
        cast({{ name_en('major_national_code', 'm.national_major_code') }} as varchar) as major_name_en,
        cast(m.national_major_code as varchar) as national_code,
        cast(coalesce(uc.hr_unit_code, m.unit_code) as varchar) as unit_code,
        cast(uc.hr_unit_name as varchar) as unit_name,
        cast(m.unit_code as varchar) as source_unit_code,
        cast(coalesce(uc.is_matched, false) as boolean) as unit_is_matched,
        cast(m.level_code as varchar) as level_code,
        cast(m.level_label_zh as varchar) as level_name,
        cast(m.duration_years as integer) as duration_years,
        cast(m.is_active as boolean) as is_active
    from majors as m
    left join unit_codes as uc
        on m.unit_code = uc.source_code
)

select * from final
