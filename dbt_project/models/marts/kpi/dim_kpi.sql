-- The indicator catalogue (kpis.md): one row per (institution, indicator id).
with

catalogue as (
    select * from {{ ref('kpi_catalogue') }}
),

final as (
    select
        cast('{{ var("institution_code") }}' as varchar) as institution_code,
        cast(kpi_id as varchar) as kpi_id,
        cast(sort_order as integer) as sort_order,
        cast(name_zh as varchar) as name_zh,
        cast(name_en as varchar) as name_en,
        cast(kind as varchar) as kind,
        cast(unit as varchar) as unit,
        cast(decimals as integer) as decimals,
        cast(year_basis as varchar) as year_basis,
        cast(definition_zh as varchar) as definition_zh,
        cast(definition_en as varchar) as definition_en
    from catalogue
)

select * from final
