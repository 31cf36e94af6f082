-- Staff (jzgjbxx) at their current version, with the person they are (person_key). Title is the
-- current one from the title history (latest prrq, ties by the larger bdid), falling back to
-- jzgjbxx.zyjszwm when the history holds none. One row per (institution, staff_id = gh).
-- Restricted: personal data.
with

staff as (
    select * from {{ ref('stg_hr__staff') }}
),

persons as (
    select * from {{ ref('int_persons_unified') }}
    where source_system = 'hr'
),

unit_codes as (
    select * from {{ ref('int_org_unit_codes') }}
    where source_system = 'hr'
),

latest_titles as (
    select
        staff_id,
        title_code,
        title_level_zh
    from {{ ref('stg_hr__title_changes') }}
    where effective_on is not null
    qualify row_number() over (partition by staff_id order by effective_on desc, title_change_id desc) = 1
),

final as (
    select
        cast(s.institution_code as varchar) as institution_code,
        cast(s.staff_id as varchar) as staff_id,
        cast(p.person_key as varchar) as person_key,
        cast(s.staff_name as varchar) as staff_name,
        cast(s.gender_code as varchar) as gender_code,
        cast(s.birth_date as date) as birth_date,
        cast(coalesce(uc.hr_unit_code, s.unit_code) as varchar) as unit_code,
        cast(uc.hr_unit_name as varchar) as unit_name,
        cast(coalesce(uc.is_matched, false) as boolean) as unit_is_matched,
        cast(s.staff_category_code as varchar) as staff_category_code,
        cast(s.staff_category_label_zh as varchar) as staff_category_name,
        cast(s.employment_form_code as varchar) as employment_form_code,
        cast(coalesce(t.title_code, s.current_title_code) as varchar) as title_code,
        cast(coalesce(t.title_level_zh, s.current_title_level_zh, '未定职级') as varchar) as title_level,
        cast(s.highest_education_code as varchar) as highest_education_code,
        cast(s.highest_degree_code as varchar) as highest_degree_code,
        cast(s.has_postgrad_degree as boolean) as has_postgrad_degree,
        cast(s.is_double_qualified as boolean) as is_double_qualified,
        cast(s.joined_on as date) as joined_on,
        cast(s.left_on as date) as left_on,
        cast(s.status_code as varchar) as status_code
    from staff as s
    left join persons as p
        on s.staff_id = p.source_key
    left join unit_codes as uc
        on s.unit_code = uc.source_code
    left join latest_titles as t
        on s.staff_id = t.staff_id
)

select * from final
