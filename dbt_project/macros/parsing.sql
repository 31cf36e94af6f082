{#- Text-to-type helpers for staging. Raw holds every source column as canonical text. -#}

{#-
    A date from text: 'YYYY-MM-DD' (optionally followed by a time) or 'YYYYMMDD'. Blank and the
    zero date mean unknown (NULL); an impossible or unreadable date is NULL too (see date_text_is_invalid).
-#}
{% macro text_to_date(expr) -%}
    case
        when regexp_full_match(trim({{ expr }}), '[0-9]{4}-[0-9]{2}-[0-9]{2}([ T].*)?')
            then cast(try_strptime(substr(trim({{ expr }}), 1, 10), '%Y-%m-%d') as date)
        when regexp_full_match(trim({{ expr }}), '[0-9]{8}')
            then cast(try_strptime(trim({{ expr }}), '%Y%m%d') as date)
    end
{%- endmacro %}

{#- TRUE when the text holds something that is not a readable date (not blank, not the zero date). -#}
{% macro date_text_is_invalid(expr) -%}
    coalesce(
        nullif(trim({{ expr }}), '') is not null
        and not starts_with(trim({{ expr }}), '0000-00-00')
        and trim({{ expr }}) != '00000000'
        and ({{ text_to_date(expr) }}) is null,
        false
    )
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

{#- The text of an amount with thousands separators (',' '，') removed, trimmed. -#}
{% macro _amount_text(expr) -%}
    trim(replace(replace({{ expr }}, ',', ''), '，', ''))
{%- endmacro %}

{#- An amount in yuan: thousands separators allowed, blank or NULL is 0, anything else unreadable is NULL. -#}
{% macro text_to_amount(expr) -%}
    case
        when nullif(trim({{ expr }}), '') is null then cast(0 as decimal(18, 2))
        when regexp_full_match({{ _amount_text(expr) }}, '[+-]?[0-9]+(\.[0-9]+)?')
            then try_cast({{ _amount_text(expr) }} as decimal(18, 2))
    end
{%- endmacro %}

{#- TRUE when an amount text is blank/NULL or readable (text_to_amount gives a value). -#}
{% macro amount_text_is_valid(expr) -%}
    (({{ text_to_amount(expr) }}) is not null)
{%- endmacro %}

{#- A code: trimmed, blank is NULL. -#}
{% macro clean_code(expr) -%}
    nullif(trim({{ expr }}), '')
{%- endmacro %}

{#- An ID number normalised as stdnum's compact(): spaces and hyphens removed, trimmed, upper-case ('x' -> 'X'); blank is NULL. -#}
{% macro normalise_id_number(expr) -%}
    nullif(upper(trim(regexp_replace({{ expr }}, '[ -]', '', 'g'), e' \t\n\r')), '')
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
