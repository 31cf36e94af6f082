-- The fiscal (calendar) years the finance data covers, with whether a budget file and any ledger
-- month file of the year were loaded (without a file the year's total is unknown, not zero).
with

budget_years as (
    select distinct fiscal_year
    from {{ ref('stg_finance__budget_lines') }}
    where fiscal_year is not null
),

ledger_file_years as (
    select distinct try_cast(substr(period, 1, 4) as integer) as fiscal_year
    from {{ ref('stg_finance__ledger_lines') }}
    where try_cast(substr(period, 1, 4) as integer) is not null
),

ledger_line_years as (
    select distinct fiscal_year
    from {{ ref('stg_finance__ledger_lines') }}
    where fiscal_year is not null
),

all_years as (
    select fiscal_year from budget_years
    union
    select fiscal_year from ledger_file_years
    union
    select fiscal_year from ledger_line_years
),

final as (
    select
        '{{ var("institution_code") }}' as institution_code,
        cast(y.fiscal_year as integer) as fiscal_year,
        b.fiscal_year is not null as has_budget_file,
        l.fiscal_year is not null as has_ledger_file
    from all_years as y
    left join budget_years as b on y.fiscal_year = b.fiscal_year
    left join ledger_file_years as l on y.fiscal_year = l.fiscal_year
)

select * from final
