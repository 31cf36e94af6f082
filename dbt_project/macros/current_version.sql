{#-
    The current version of each source key in a raw table (docs/architecture.md):
    the row with the greatest _loaded_at (ties: D > U > I), dropped when it is a
    tombstone (_op = 'D').
-#}
{% macro current_version(relation, key_columns) -%}
    select *
    from {{ relation }}
    qualify row_number() over (
        partition by {{ key_columns | join(', ') }}
        order by _loaded_at desc, case _op when 'D' then 3 when 'U' then 2 else 1 end desc
    ) = 1
{%- endmacro %}
