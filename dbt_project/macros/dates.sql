{#- Census date of academic year Y (kpis.md: C = Y-09-30). -#}
{% macro census_date(year_expr) -%}
    make_date(cast({{ year_expr }} as integer), {{ var('census_month') }}, {{ var('census_day') }})
{%- endmacro %}

{#- The academic year (start year Y) a date falls in: Y-09-01 .. (Y+1)-08-31. -#}
{% macro academic_year_of(date_expr) -%}
    (year({{ date_expr }}) - case when month({{ date_expr }}) < {{ var('academic_year_start_month') }} then 1 else 0 end)
{%- endmacro %}

{#-
    Join condition picking the version of a versioned row (valid_from/valid_to timestamps,
    first version open to the past, last open to the future) that the warehouse held at the
    end of the day `date_expr`.
-#}
{% macro held_at(alias, date_expr) -%}
    ({{ alias }}.valid_from is null or {{ alias }}.valid_from < cast({{ date_expr }} as timestamp) + interval 1 day)
    and ({{ alias }}.valid_to is null or {{ alias }}.valid_to >= cast({{ date_expr }} as timestamp) + interval 1 day)
{%- endmacro %}
