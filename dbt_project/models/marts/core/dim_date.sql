-- Calendar days from the first day of the first academic or fiscal year the data covers to the
-- last day of the last one. One row per (institution, date_day).
with

academic_bounds as (
    select
        min(year_start_date) as first_day,
        max(year_end_date) as last_day
    from {{ ref('int_census_years') }}
),

fiscal_bounds as (
    select
        make_date(min(fiscal_year), 1, 1) as first_day,
        make_date(max(fiscal_year), 12, 31) as last_day
    from {{ ref('int_fiscal_years') }}
),

bounds as (
    select
        least(a.first_day, f.first_day) as first_day,
        greatest(a.last_day, f.last_day) as last_day
    from academic_bounds as a
    cross join fiscal_bounds as f
),

days as (
    select cast(d.generate_series as date) as date_day
    from bounds as b
    cross join
        generate_series(
            cast(b.first_day as timestamp), cast(b.last_day as timestamp), interval 1 day
        ) as d
    where b.first_day is not null
),

final as (
    select
        cast('{{ var("institution_code") }}' as varchar) as institution_code,
        cast(date_day as date) as date_day,
        cast(year(date_day) as integer) as year,
        cast(month(date_day) as integer) as month,
        cast(day(date_day) as integer) as day_of_month,
        cast(isodow(date_day) as integer) as iso_day_of_week,
        cast({{ academic_year_of('date_day') }} as integer) as academic_year,
        cast(year(date_day) as integer) as fiscal_year,
        cast(
            {{ academic_year_of('date_day') }} || '-' || ({{ academic_year_of('date_day') }} + 1) || '-'
            || case when month(date_day) between 2 and {{ var('academic_year_start_month') }} - 1 then '2' else '1' end
            as varchar
        ) as term_code,
        cast(
            month(date_day) = {{ var('census_month') }} and day(date_day) = {{ var('census_day') }}
            as boolean
        ) as is_census_date
    from days
)

select * from final
