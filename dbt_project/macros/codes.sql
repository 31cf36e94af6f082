{#- The rows of one code set (seed code_sets) as a relation: code, label_zh, label_en. -#}
{% macro code_set(name) -%}
    (select code, label_zh, label_en from {{ ref('code_sets') }} where code_set = '{{ name }}')
{%- endmacro %}

{#- Map a legacy value of a code set to its standard code (seed legacy_code_map); else the value. -#}
{% macro map_legacy_code(name, expr) -%}
    coalesce(
        (select l.code from {{ ref('legacy_code_map') }} as l where l.code_set = '{{ name }}' and l.legacy_value = {{ expr }}),
        {{ expr }}
    )
{%- endmacro %}

{#- TRUE when a normalised ID number is a valid GB 11643 citizen ID (as stdnum.cn.ric.is_valid). -#}
{% macro cn_id_is_valid(expr) -%}
    coalesce(
        {{ cn_id_checksum_ok(expr) }}
        and exists (
            select 1
            from {{ ref('cn_address_codes') }} as ac
            where
                ac.address_code = substr({{ expr }}, 1, 6)
                and (ac.valid_from_year is null or ac.valid_from_year <= try_cast(substr({{ expr }}, 7, 4) as integer))
                and (ac.valid_to_year is null or ac.valid_to_year >= try_cast(substr({{ expr }}, 7, 4) as integer))
        ),
        false
    )
{%- endmacro %}
