-- The academic years the data covers: every Y from the first year in which some student is
-- enrolled by the census date C = Y-09-30 up to the last Y whose census date is not after the
-- latest data the warehouse holds (the latest student load).
with

bounds as (
    select
        cast(max(loaded_at) as date) as latest_data_date,
        min(enrolment_date) as first_enrolment
    from {{ ref('stg_academic__students') }}
),

years as (
    select cast(y.generate_series as integer) as academic_year
    from bounds as b
    cross join generate_series(
        cast(year(b.first_enrolment) - 1 as bigint),
        cast(year(b.latest_data_date) as bigint)
    ) as y
),

final as (
    select
        '{{ var("institution_code") }}' as institution_code,
        y.academic_year,
        {{ census_date('y.academic_year') }} as census_date,
        {{ census_date('y.academic_year + 1') }} as next_census_date,
        make_date(y.academic_year, {{ var('academic_year_start_month') }}, 1) as year_start_date,
        make_date(y.academic_year + 1, {{ var('academic_year_start_month') }}, 1) - 1 as year_end_date
    from years as y
    cross join bounds as b
    where
        {{ census_date('y.academic_year') }} >= b.first_enrolment
        and {{ census_date('y.academic_year') }} <= b.latest_data_date
)

select * from final
