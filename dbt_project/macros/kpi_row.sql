{#-
    One indicator row for the int_kpi_parts__* models:
    kpi_row('id', value=...) for a plain value, or kpi_row('id', numerator=..., denominator=...)
    for a ratio. academic_year / fiscal_year are SQL expressions (or 'null').
-#}
{% macro kpi_row(kpi_id, academic_year='null', fiscal_year='null', value=none, numerator=none, denominator=none) -%}
    select
        '{{ var("institution_code") }}' as institution_code,
        '{{ kpi_id }}' as kpi_id,
        cast({{ academic_year }} as integer) as academic_year,
        cast({{ fiscal_year }} as integer) as fiscal_year,
        {%- if value is not none %}
        cast({{ value }} as decimal(38, 6)) as exact_value,
        cast(null as decimal(38, 6)) as numerator,
        cast(null as decimal(38, 6)) as denominator,
        false as is_ratio
        {%- else %}
        cast(null as decimal(38, 6)) as exact_value,
        cast({{ numerator }} as decimal(38, 6)) as numerator,
        cast({{ denominator }} as decimal(38, 6)) as denominator,
        true as is_ratio
        {%- endif %}
{%- endmacro %}
