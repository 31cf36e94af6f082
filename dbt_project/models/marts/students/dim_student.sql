-- Students (xsjbsj) at their current version, with the person they are (person_key), the unit
-- reconciled to HR's unit codes and their first leaving event. One row per (institution,
-- student_id = xh). Restricted: personal data.
with

students as (
    select * from {{ ref('stg_academic__students') }}
),

persons as (
    select * from {{ ref('int_persons_unified') }}
    where source_system = 'academic'
),

unit_codes as (
    select * from {{ ref('int_org_unit_codes') }}
    where source_system = 'academic'
),

leaving as (
    select * from {{ ref('int_student_leaving_events') }}
),

final as (
    select
        cast(s.institution_code as varchar) as institution_code,
        cast(s.student_id as varchar) as student_id,
        cast(p.person_key as varchar) as person_key,
        cast(s.student_name as varchar) as student_name,
        cast(s.gender_code as varchar) as gender_code,
        cast(s.gender_label_zh as varchar) as gender_name,
        cast(s.birth_date as date) as birth_date,
        cast(s.ethnicity_code as varchar) as ethnicity_code,
        cast(s.nationality_code as varchar) as nationality_code,
        cast(s.is_international as boolean) as is_international,
        cast(coalesce(uc.hr_unit_code, s.unit_code) as varchar) as unit_code,
        cast(uc.hr_unit_name as varchar) as unit_name,
        cast(s.unit_code as varchar) as source_unit_code,
        cast(coalesce(uc.is_matched, false) as boolean) as unit_is_matched,
        cast(s.major_code as varchar) as major_code,
        cast(s.class_code as varchar) as class_code,
        cast(s.cohort_year as integer) as cohort_year,
        cast(s.enrolment_date as date) as enrolment_date,
        cast(s.level_code as varchar) as level_code,
        cast(s.level_label_zh as varchar) as level_name,
        cast(s.study_mode_code as varchar) as study_mode_code,
        cast(s.study_mode_label_zh as varchar) as study_mode_name,
        cast(s.status_code as varchar) as status_code,
        cast(s.status_label_zh as varchar) as status_name,
        cast(l.first_leaving_date as date) as first_leaving_date,
        cast(l.first_leaving_source as varchar) as first_leaving_source,
        cast(l.first_leaving_code as varchar) as first_leaving_code
    from students as s
    left join persons as p
        on s.student_id = p.source_key
    left join unit_codes as uc
        on s.unit_code = uc.source_code
    left join leaving as l
        on s.student_id = l.student_id
)

select * from final
