{#-
    Exact rounded division, half away from zero (kpis.md "Numbers").

    DuckDB's DECIMAL / DECIMAL gives DOUBLE, so the division is done on integers:
    both parts are scaled to integer micro-units (decimal(38,6) * 10^6 as HUGEINT),
    q = (2 * |n| * 10^s + |d|) // (2 * |d|) is |n/d| rounded half-up to s decimals
    (times 10^s), and the sign is put back. NULL or zero denominator gives NULL.
    The result is decimal(38, 4) (the published value column).
-#}
{% macro _to_micros(expr) -%}
    cast(cast({{ expr }} as decimal(38, 6)) * 1000000 as hugeint)
{%- endmacro %}

{% macro _unit_of_scale(scale) -%}
    {{ '1' if scale == 0 else '0.' ~ ('0' * (scale - 1)) ~ '1' }}
{%- endmacro %}

{% macro round_half_up_div(numerator, denominator, scale) -%}
    {%- set n = _to_micros(numerator) -%}
    {%- set d = _to_micros(denominator) -%}
    {%- set factor = 10 ** scale -%}
    case
        when ({{ numerator }}) is null or ({{ denominator }}) is null or {{ d }} = 0 then null
        else cast(
            cast(
                (case when sign({{ n }}) * sign({{ d }}) < 0 then -1 else 1 end)
                * ((2 * abs({{ n }}) * {{ factor }} + abs({{ d }})) // (2 * abs({{ d }})))
                as decimal(38, 0)
            ) * cast('{{ _unit_of_scale(scale) }}' as decimal({{ scale + 1 }}, {{ scale }}))
            as decimal(38, 4)
        )
    end
{%- endmacro %}

{#- Round an exact value half away from zero to `scale` decimals (as decimal(38,4)). -#}
{% macro round_half_up(expr, scale) -%}
    {{ round_half_up_div(expr, 1, scale) }}
{%- endmacro %}
