-- One row per (institution, academic year Y, student, flow) for the flows between the census
-- dates C = Y-09-30 and C' = (Y+1)-09-30: entrant (C < rxrq <= C'), leaver (first leaving event
-- is a leaving registration change dated in (C, C']), completion (first leaving event is a
-- graduation record dated in (C, C']). Leavers and completions are every xh with a leaving event
-- (the definitions name only the history tables), known to xsjbsj or not.
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

entrants as (
    select
        cy.academic_year,
        s.student_id,
        'entrant' as flow_type,
        s.enrolment_date as flow_date
    from census_years as cy
    inner join students as s
        on s.enrolment_date > cy.census_date and s.enrolment_date <= cy.next_census_date
),

exits as (
    select
        cy.academic_year,
        l.student_id,
        case l.first_leaving_source when 'graduation' then 'completion' else 'leaver' end as flow_type,
        l.first_leaving_date as flow_date
    from census_years as cy
    inner join leaving as l
        on l.first_leaving_date > cy.census_date and l.first_leaving_date <= cy.next_census_date
),

final as (
    select
        '{{ var("institution_code") }}' as institution_code,
        academic_year,
        student_id,
        flow_type,
        flow_date
    from (
        select * from entrants
        union all
        select * from exits
    ) as flows
)

select * from final
