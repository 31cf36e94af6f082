{#-
    Left join of int_org_unit_codes for a unit code of `system` (academic, hr, finance), aliased
    `alias`: alias.hr_unit_code is the HR unit (zzjg.dwh) the code stands for (null when the code
    is unmatched), alias.hr_unit_name its name, alias.source_unit_name the source's own name.
-#}
{% macro join_unit_codes(system, code_expr, alias) -%}
    left join {{ ref('int_org_unit_codes') }} as {{ alias }}
        on {{ alias }}.source_system = '{{ system }}' and {{ code_expr }} = {{ alias }}.source_code
{%- endmacro %}

{#- The reconciled unit code: the HR unit the source code stands for, else the source code itself (flagged). -#}
{% macro reconciled_unit_code(alias, code_expr) -%}
    coalesce({{ alias }}.hr_unit_code, {{ code_expr }})
{%- endmacro %}
