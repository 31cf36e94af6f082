{#-
    The English name of a code from the steward-maintained seed name_translations (null when no
    translation exists: pages then show the Chinese name). `code_set`: org_unit (HR unit code),
    major_national_code, course; `code_expr`: the SQL expression holding the code. A scalar
    subquery so that a model gains the column in its final select without a new join.
-#}
{% macro name_en(code_set, code_expr) -%}
    (
        select max(t.name_en)
        from {{ ref('name_translations') }} as t
        where t.code_set = '{{ code_set }}' and t.code = {{ code_expr }}
    )
{%- endmacro %}
