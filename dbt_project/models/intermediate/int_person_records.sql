-- Every person record of the source systems, in one shape, for identity resolution: academic
-- students (xsjbsj, by xh), HR staff (jzgjbxx, by gh), external teachers (wpjs, by wpbh) and the
-- payment platform's student numbers that the academic system does not know (a bill names its
-- student by xh; a known xh is the academic record). ID numbers are already normalised in staging
-- (trimmed, upper-case X) and validated as GB 11643 (checksum, birth date, address code).
-- attribute_rank orders the systems for a person's attributes: HR, academic, external, payment.
-- One row per (institution, source system, source key).
with

students as (
    select
        'academic' as source_system,
        student_id as source_key,
        student_name as person_name,
        gender_code,
        birth_date,
        id_document_type_code,
        id_number,
        id_number_is_valid,
        updated_at,
        2 as attribute_rank
    from {{ ref('stg_academic__students') }}
),

staff as (
    select
        'hr' as source_system,
        staff_id as source_key,
        staff_name as person_name,
        gender_code,
        birth_date,
        id_document_type_code,
        id_number,
        id_number_is_valid,
        updated_at,
        1 as attribute_rank
    from {{ ref('stg_hr__staff') }}
),

externals as (
    select
        'external' as source_system,
        external_teacher_id as source_key,
        teacher_name as person_name,
        gender_code,
        cast(null as date) as birth_date,
        id_document_type_code,
        id_number,
        id_number_is_valid,
        updated_at,
        3 as attribute_rank
    from {{ ref('stg_hr__external_teachers') }}
),

bill_students as (
    select distinct
        'payment' as source_system,
        b.student_id as source_key,
        cast(null as varchar) as person_name,
        cast(null as varchar) as gender_code,
        cast(null as date) as birth_date,
        cast(null as varchar) as id_document_type_code,
        cast(null as varchar) as id_number,
        false as id_number_is_valid,
        cast(null as timestamp) as updated_at,
        4 as attribute_rank
    from {{ ref('stg_payment__bills') }} as b
    left join {{ ref('stg_academic__students') }} as s
        on b.student_id = s.student_id
    where b.student_id is not null and s.student_id is null
),

unioned as (
    select * from students
    union all
    select * from staff
    union all
    select * from externals
    union all
    select * from bill_students
),

final as (
    select
        '{{ var("institution_code") }}' as institution_code,
        source_system,
        source_key,
        person_name,
        nullif(regexp_replace(coalesce(person_name, ''), '\s', '', 'g'), '') as name_normalised,
        gender_code,
        birth_date,
        id_document_type_code,
        id_number,
        coalesce(id_number_is_valid, false) as id_number_is_valid,
        updated_at,
        attribute_rank
    from unioned
)

select * from final
