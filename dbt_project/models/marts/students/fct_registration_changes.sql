-- Registration changes (学籍异动, xjyd) at their current version: one row per (institution,
-- change_id = ydid), with the person, the academic year of the change date, units reconciled to
-- HR's unit codes, and whether the row is dated after the student's first leaving event (a data
-- defect: leaving is final). Restricted: person-level.
with

changes as (
    select * from {{ ref('stg_academic__registration_changes') }}
),

persons as (
    select * from {{ ref('int_persons_unified') }}
    where source_system in ('academic', 'payment')
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
        cast(c.institution_code as varchar) as institution_code,
        cast(c.change_id as bigint) as change_id,
        cast(c.student_id as varchar) as student_id,
        cast(coalesce(p.person_key, md5(c.institution_code || 'student:' || c.student_id)) as varchar)
            as person_key,
        cast(c.change_type_code as varchar) as change_type_code,
        cast(c.change_type_label_zh as varchar) as change_type_name,
        cast(c.change_type_is_valid as boolean) as change_type_is_valid,
        cast(c.change_date as date) as change_date,
        cast({{ academic_year_of('c.change_date') }} as integer) as academic_year,
        cast(coalesce(ub.hr_unit_code, c.unit_code_before) as varchar) as unit_code_before,
        cast(c.major_code_before as varchar) as major_code_before,
        cast(coalesce(ua.hr_unit_code, c.unit_code_after) as varchar) as unit_code_after,
        cast(c.major_code_after as varchar) as major_code_after,
        cast(c.is_leaving_event as boolean) as is_leaving_event,
        cast(coalesce(c.change_date > l.first_leaving_date, false) as boolean) as is_after_first_leaving,
        cast(c.reason as varchar) as reason,
        cast(c.updated_at as timestamp) as updated_at
    from changes as c
    left join persons as p
        on c.student_id = p.source_key
    left join unit_codes as ub
        on c.unit_code_before = ub.source_code
    left join unit_codes as ua
        on c.unit_code_after = ua.source_code
    left join leaving as l
        on c.student_id = l.student_id
)

select * from final
