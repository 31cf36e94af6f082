{#- Text-to-type helpers for staging. Raw holds every source column as canonical text. -#}

{#- A date in canonical 'YYYY-MM-DD' (MySQL zero dates are already NULL); impossible dates give NULL. -#}
{% macro text_to_date(expr) -%}
    try_cast(trim({{ expr }}) as date)
{%- endmacro %}

{#- A date that may be 'YYYYMMDD' or legacy 'YYYY-MM-DD' (xsjbsj.csrq). -#}
{% macro text_to_date_any(expr) -%}
    cast(try_strptime(trim({{ expr }}), ['%Y%m%d', '%Y-%m-%d']) as date)
{%- endmacro %}

{#- A timestamp in canonical 'YYYY-MM-DD HH:MM:SS'. -#}
{% macro text_to_timestamp(expr) -%}
    try_cast(trim({{ expr }}) as timestamp)
{%- endmacro %}

{#- An ISO-8601 timestamp with offset, as naive Beijing time (UTC+8). -#}
{% macro iso_to_beijing_timestamp(expr) -%}
    cast(timezone('Asia/Shanghai', try_cast(trim({{ expr }}) as timestamptz)) as timestamp)
{%- endmacro %}

{#- An amount in yuan: thousands separators allowed, blank or NULL is 0, anything else unreadable is NULL. -#}
{% macro text_to_amount(expr) -%}
    case
        when nullif(trim({{ expr }}), '') is null then cast(0 as decimal(18, 2))
        else try_cast(replace(trim({{ expr }}), ',', '') as decimal(18, 2))
    end
{%- endmacro %}

{#- A code: trimmed, blank is NULL. -#}
{% macro clean_code(expr) -%}
    nullif(trim({{ expr }}), '')
{%- endmacro %}

{#- An ID number normalised: trimmed, upper-case (check digit 'x' -> 'X'), blank is NULL. -#}
{% macro normalise_id_number(expr) -%}
    nullif(upper(trim({{ expr }})), '')
{%- endmacro %}

{#-
    GB 11643 citizen ID number: format, ISO 7064 MOD 11-2 check character and birth
    date. The address code is checked against seed cn_address_codes by the caller.
-#}
{% macro cn_id_checksum_ok(expr) -%}
    (
        regexp_full_match({{ expr }}, '[0-9]{17}[0-9X]')
        and substr({{ expr }}, 18, 1) = substr(
            '10X98765432',
            cast((
                {%- for w in [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2] %}
                {{ w }} * try_cast(substr({{ expr }}, {{ loop.index }}, 1) as integer){{ ' +' if not loop.last }}
                {%- endfor %}
            ) % 11 as integer) + 1,
            1
        )
        and try_cast(substr({{ expr }}, 7, 4) as integer) >= 1
        and try_strptime(substr({{ expr }}, 7, 8), '%Y%m%d') is not null
    )
{%- endmacro %}
