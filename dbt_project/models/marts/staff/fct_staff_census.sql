-- One row per (institution, academic year Y, staff member employed at C = Y-09-30):
-- lxrq <= C and (lzrq is null or lzrq > C). Category, degree, double-qualified flag and unit
-- from the version the warehouse held at C; title at C from the title history (latest
-- prrq <= C, ties by the larger bdid; none: no title).
with

census_years as (
    select * from {{ ref('int_census_years') }}
),

staff as (
    select * from {{ ref('stg_hr__staff') }}
),

versions as (
    select * from {{ ref('int_staff_versions') }}
),

title_changes as (
    select * from {{ ref('stg_hr__title_changes') }}
),

employed as (
    select
        cy.academic_year,
        cy.census_date,
        s.staff_id
    from census_years as cy
    inner join staff as s
        on
            s.joined_on <= cy.census_date
            and (s.left_on is null or s.left_on > cy.census_date)
    where s.employment_dates_are_valid
),

titles_at_census as (
    select
        e.academic_year,
        e.staff_id,
        t.title_code,
        t.title_level_zh,
        t.is_senior
    from employed as e
    inner join title_changes as t
        on e.staff_id = t.staff_id and t.effective_on <= e.census_date
    qualify row_number() over (
        partition by e.academic_year, e.staff_id
        order by t.effective_on desc, t.title_change_id desc
    ) = 1
),

final as (
    select
        '{{ var("institution_code") }}' as institution_code,
        e.academic_year,
        e.census_date,
        e.staff_id,
        v.unit_code,
        v.staff_category_code,
        coalesce(v.staff_category_code = '01', false) as is_fulltime_teacher,
        t.title_code as title_code_at_census,
        t.title_level_zh as title_level_zh_at_census,
        coalesce(t.is_senior, false) as has_senior_title,
        v.highest_degree_code,
        coalesce(v.highest_degree_code in ('2', '3'), false) as has_postgrad_degree,
        coalesce(v.is_double_qualified, false) as is_double_qualified
    from employed as e
    left join versions as v
        on
            e.staff_id = v.staff_id
            and {{ held_at('v', 'e.census_date') }}
    left join titles_at_census as t
        on e.academic_year = t.academic_year and e.staff_id = t.staff_id
)

select * from final
