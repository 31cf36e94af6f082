-- External teachers (wpjs engagement records) at their current version, with the person they
-- are (person_key; the same person may hold several engagements or also be staff). One row per
-- (institution, external_teacher_id = wpbh). Restricted: personal data.
with

externals as (
    select * from {{ ref('stg_hr__external_teachers') }}
),

persons as (
    select * from {{ ref('int_persons_unified') }}
    where source_system = 'external'
),

unit_codes as (
    select * from {{ ref('int_org_unit_codes') }}
    where source_system = 'hr'
),

final as (
    select
        cast(x.institution_code as varchar) as institution_code,
        cast(x.external_teacher_id as varchar) as external_teacher_id,
        cast(p.person_key as varchar) as person_key,
        cast(x.teacher_name as varchar) as teacher_name,
        cast(x.gender_code as varchar) as gender_code,
        cast(x.title_code as varchar) as title_code,
        cast(coalesce(x.title_level_zh, '未定职级') as varchar) as title_level,
        cast(x.highest_degree_code as varchar) as highest_degree_code,
        cast(coalesce(uc.hr_unit_code, x.engaging_unit_code) as varchar) as unit_code,
        cast(uc.hr_unit_name as varchar) as unit_name,
        cast(coalesce(uc.is_matched, false) as boolean) as unit_is_matched,
        cast(x.engaged_from as date) as engaged_from,
        cast(x.engaged_to as date) as engaged_to
    from externals as x
    left join persons as p
        on x.external_teacher_id = p.source_key
    left join unit_codes as uc
        on x.engaging_unit_code = uc.source_code
)

select * from final
