-- Courses (kcxx) with the offering unit reconciled to HR's unit codes. One row per (institution,
-- course_code = kch).
with

courses as (
    select * from {{ ref('stg_academic__courses') }}
),

unit_codes as (
    select * from {{ ref('int_org_unit_codes') }}
    where source_system = 'academic'
),

final as (
    select
        cast(c.institution_code as varchar) as institution_code,
        cast(c.course_id as varchar) as course_code,
        cast(c.course_name as varchar) as course_name,
        cast({{ name_en('course', 'c.course_id') }} as varchar) as course_name_en,
        cast(c.credits as decimal(4, 1)) as credits,
        cast(c.teaching_hours as integer) as teaching_hours,
        cast(c.course_nature_code as varchar) as nature_code,
        cast(c.course_nature_label_zh as varchar) as nature_name,
        cast(coalesce(uc.hr_unit_code, c.offering_unit_code) as varchar) as unit_code,
        cast(uc.hr_unit_name as varchar) as unit_name,
        cast(c.offering_unit_code as varchar) as source_unit_code,
        cast(coalesce(uc.is_matched, false) as boolean) as unit_is_matched
    from courses as c
    left join unit_codes as uc
        on c.offering_unit_code = uc.source_code
)

select * from final
