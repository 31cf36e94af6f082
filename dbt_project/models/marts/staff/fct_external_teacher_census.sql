-- One row per (institution, academic year Y, external teacher person) engaged at C = Y-09-30:
-- prksrq <= C and (prjsrq is null or prjsrq >= C). A person is identified by a valid citizen
-- ID number (else by the engagement record wpbh) and counts once; a person employed at C under
-- the same valid ID number does not count. person_key is the smallest wpbh of the person.
with

census_years as (
    select * from {{ ref('int_census_years') }}
),

externals as (
    select * from {{ ref('stg_hr__external_teachers') }}
),

staff as (
    select * from {{ ref('stg_hr__staff') }}
),

engaged as (
    select
        cy.academic_year,
        cy.census_date,
        x.external_teacher_id,
        x.engaging_unit_code,
        case when x.id_number_is_valid then x.id_number end as valid_id_number
    from census_years as cy
    inner join externals as x
        on
            x.engaged_from <= cy.census_date
            and (x.engaged_to is null or x.engaged_to >= cy.census_date)
    where x.engagement_dates_are_valid
),

employed_ids as (
    select distinct
        cy.academic_year,
        s.id_number
    from census_years as cy
    inner join staff as s
        on
            s.joined_on <= cy.census_date
            and (s.left_on is null or s.left_on > cy.census_date)
    where s.id_number_is_valid and s.employment_dates_are_valid
),

persons as (
    select
        e.academic_year,
        e.census_date,
        min(e.external_teacher_id) as person_key,
        count(*) as engagement_count,
        min(e.engaging_unit_code) as engaging_unit_code,
        bool_or(e.valid_id_number is not null) as has_valid_id_number
    from engaged as e
    left join employed_ids as s
        on e.academic_year = s.academic_year and e.valid_id_number = s.id_number
    where s.id_number is null
    group by e.academic_year, e.census_date, coalesce(e.valid_id_number, 'wpbh:' || e.external_teacher_id)
),

final as (
    select
        '{{ var("institution_code") }}' as institution_code,
        academic_year,
        census_date,
        person_key,
        engagement_count,
        engaging_unit_code,
        has_valid_id_number
    from persons
)

select * from final
