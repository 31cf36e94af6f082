-- Terms of every academic year the data covers (census spine, grades, course sections):
-- 'Y-(Y+1)-1' autumn, Y-09-01 .. (Y+1)-01-31, and 'Y-(Y+1)-2' spring, (Y+1)-02-01 .. (Y+1)-08-31,
-- so the two terms tile the academic year. One row per (institution, term_code).
with

years as (
    select academic_year from {{ ref('int_census_years') }}
    union
    select academic_year from {{ ref('stg_academic__grades') }}
    where academic_year is not null
    union
    select try_cast(substr(term_code, 1, 4) as integer) as academic_year
    from {{ ref('stg_academic__sections') }}
    where regexp_full_match(term_code, '[0-9]{4}-[0-9]{4}-[12]')
),

term_numbers as (
    select 1 as term_no
    union all
    select 2 as term_no
),

terms as (
    select
        y.academic_year,
        t.term_no
    from years as y
    cross join term_numbers as t
    where y.academic_year is not null
),

final as (
    select
        cast('{{ var("institution_code") }}' as varchar) as institution_code,
        cast(academic_year || '-' || (academic_year + 1) || '-' || term_no as varchar) as term_code,
        cast(academic_year as integer) as academic_year,
        cast(term_no as integer) as term_no,
        cast(
            academic_year || '-' || (academic_year + 1) || '学年第' || case term_no when 1 then '一' else '二' end || '学期'
            as varchar
        ) as term_name,
        cast(
            case
                when term_no = 1 then make_date(academic_year, {{ var('academic_year_start_month') }}, 1)
                else make_date(academic_year + 1, 2, 1)
            end as date
        ) as starts_on,
        cast(
            case
                when term_no = 1 then make_date(academic_year + 1, 2, 1) - 1
                else make_date(academic_year + 1, {{ var('academic_year_start_month') }}, 1) - 1
            end as date
        ) as ends_on
    from terms
)

select * from final
