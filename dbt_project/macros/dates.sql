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
    end of the day `date_expr`. Written as plain comparisons (open ends as -infinity/infinity,
    no OR) so that DuckDB keeps a LEFT JOIN on it a hash join on the equality keys; with an OR
    in the condition it falls back to a blockwise nested-loop join (seconds per model at medium).
-#}
{% macro held_at(alias, date_expr) -%}
    coalesce({{ alias }}.valid_from, '-infinity'::timestamp) < cast({{ date_expr }} as timestamp) + interval 1 day
    and coalesce({{ alias }}.valid_to, 'infinity'::timestamp) >= cast({{ date_expr }} as timestamp) + interval 1 day
{%- endmacro %}
