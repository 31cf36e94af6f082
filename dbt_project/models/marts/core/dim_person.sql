-- One natural person across the academic system, HR, external teachers and the payment platform
-- (identity resolution in int_persons_unified: valid citizen ID number first, else the system
-- key; conflicting records are never merged). Attributes come from the highest-ranked record
-- (HR, then academic, then external teachers), the most recently updated first.
-- One row per (institution, person_key). Restricted: personal data.
with

unified as (
    select * from {{ ref('int_persons_unified') }}
),

ranked as (
    select *
    from unified
    qualify row_number() over (
        partition by person_key
        order by attribute_rank asc, updated_at desc nulls last, source_key asc
    ) = 1
),

per_person as (
    select
        person_key,
        count(*) as record_count,
        count(*) filter (where source_system = 'academic') as student_records,
        count(*) filter (where source_system = 'hr') as staff_records,
        count(*) filter (where source_system = 'external') as external_teacher_records,
        count(*) filter (where source_system = 'payment') as payment_only_records,
        bool_or(has_identity_conflict) as has_identity_conflict
    from unified
    group by person_key
),

final as (
    select
        cast(r.institution_code as varchar) as institution_code,
        cast(r.person_key as varchar) as person_key,
        cast(case when r.resolution_method = 'id_number' then 'id_number' else 'system_key' end as varchar)
            as identity_basis,
        cast(r.person_natural_key as varchar) as person_natural_key,
        cast(case when r.resolution_method = 'id_number' then r.id_number end as varchar) as id_number,
        cast(r.person_name as varchar) as person_name,
        cast(r.gender_code as varchar) as gender_code,
        cast(r.birth_date as date) as birth_date,
        cast(p.record_count as integer) as record_count,
        cast(p.student_records as integer) as student_records,
        cast(p.staff_records as integer) as staff_records,
        cast(p.external_teacher_records as integer) as external_teacher_records,
        cast(p.payment_only_records as integer) as payment_only_records,
        cast(p.student_records > 0 as boolean) as is_student,
        cast(p.staff_records > 0 as boolean) as is_staff,
        cast(p.external_teacher_records > 0 as boolean) as is_external_teacher,
        cast(p.has_identity_conflict as boolean) as has_identity_conflict
    from ranked as r
    inner join per_person as p
        on r.person_key = p.person_key
)

select * from final
