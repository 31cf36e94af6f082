-- One row per budget line of a fiscal year's newest budget file (total row excluded).
with

budget as (
    select * from {{ ref('stg_finance__budget_lines') }}
),

final as (
    select
        institution_code,
        fiscal_year,
        file_version,
        line_no,
        unit_code,
        econ_class_code,
        econ_class_prefix,
        project_code,
        initial_budget,
        budget_adjustment,
        adjusted_budget,
        adjusted_budget_is_consistent
    from budget
    where fiscal_year is not null
)

select * from final
