-- Every indicator of kpis.md: one row per (institution, kpi, academic year, fiscal year).
-- value is rounded half away from zero to the indicator's decimals (kpi_catalogue) in exact
-- integer arithmetic; numerator and denominator are the exact parts of a ratio (null otherwise);
-- a zero or missing denominator gives a null value.
with

parts as (
    select * from {{ ref('int_kpi_parts__people') }}
    union all
    select * from {{ ref('int_kpi_parts__flows') }}
    union all
    select * from {{ ref('int_kpi_parts__teaching') }}
    union all
    select * from {{ ref('int_kpi_parts__money') }}
),

catalogue as (
    select * from {{ ref('kpi_catalogue') }}
),

rounded as (
    select
        p.institution_code,
        p.kpi_id,
        p.academic_year,
        p.fiscal_year,
        case c.decimals
            {%- for scale in [0, 1, 2, 4] %}
                when {{ scale }} then
                    case
                        when p.is_ratio then {{ round_half_up_div('p.numerator', 'p.denominator', scale) }}
                        else {{ round_half_up('p.exact_value', scale) }}
                    end
            {%- endfor %}
        end as value,
        p.numerator,
        p.denominator
    from parts as p
    inner join catalogue as c on p.kpi_id = c.kpi_id
),

final as (
    select
        cast(institution_code as varchar) as institution_code,
        cast(kpi_id as varchar) as kpi_id,
        cast(academic_year as integer) as academic_year,
        cast(fiscal_year as integer) as fiscal_year,
        cast(value as decimal(38, 4)) as value,
        cast(numerator as decimal(38, 6)) as numerator,
        cast(denominator as decimal(38, 6)) as denominator
    from rounded
)

select * from final
