-- One row per (institution, academic year Y, student registered at C = Y-09-30):
-- rxrq <= C and no leaving event on or before C. Attributes without source history are
-- taken from the version the warehouse held at C (the earliest version for earlier dates).
with

census_years as (
    select * from {{ ref('int_census_years') }}
),

students as (
    select * from {{ ref('stg_academic__students') }}
),

leaving as (
    select * from {{ ref('int_student_leaving_events') }}
),

versions as (
    select * from {{ ref('int_student_versions') }}
),

changes as (
    select * from {{ ref('stg_academic__registration_changes') }}
),

registered as (
    select
        cy.academic_year,
        cy.census_date,
        cy.year_end_date,
        s.student_id,
        s.enrolment_date
    from census_years as cy
    inner join students as s
        on s.enrolment_date <= cy.census_date
    left join leaving as l
        on s.student_id = l.student_id
    where l.first_leaving_date is null or l.first_leaving_date > cy.census_date
),

with_attributes as (
    select
        r.*,
        v.unit_code,
        v.major_code,
        v.level_code,
        v.study_mode_code,
        v.nationality_code,
        coalesce(v.is_international, false) as is_international
    from registered as r
    left join versions as v
        on
            r.student_id = v.student_id
            and {{ held_at('v', 'r.census_date') }}
),

withdrawals as (
    select distinct
        r.academic_year,
        r.student_id
    from registered as r
    inner join changes as c
        on
            r.student_id = c.student_id
            and c.change_type_code in ('14', '16')
            and c.change_date > r.census_date
            and c.change_date <= r.year_end_date
),

final as (
    select
        '{{ var("institution_code") }}' as institution_code,
        a.academic_year,
        a.census_date,
        a.student_id,
        a.enrolment_date,
        a.unit_code,
        a.major_code,
        a.level_code,
        a.study_mode_code,
        a.nationality_code,
        a.is_international,
        coalesce(a.study_mode_code = '1', false) as is_fulltime,
        cast(
            case
                when a.study_mode_code = '2' then 0.3
                when a.study_mode_code = '3' then 0.1
                when a.study_mode_code = '1' and a.is_international then 3
                when a.study_mode_code = '1' and a.level_code = '3' then 1.5
                when a.study_mode_code = '1' then 1
                else 0
            end as decimal(4, 1)
        ) as fte_weight,
        w.student_id is not null as withdrew_in_year
    from with_attributes as a
    left join withdrawals as w
        on a.academic_year = w.academic_year and a.student_id = w.student_id
)

select * from final
