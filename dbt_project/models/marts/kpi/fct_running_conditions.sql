-- Basic running-condition lines (基本办学条件, kpis.md): each configured indicator per academic
-- year against its pass line (合格) and enrolment-limiting line (限制招生). Lines come from the
-- dbt var running_condition_lines; "max" lines are met at or below the line, "min" lines at or
-- above it; the published (rounded) value is compared. A null value meets neither line.
{%- set lines = var('running_condition_lines') %}
with

kpi_values as (
    select * from {{ ref('fct_kpi_values') }}
),

lines as (
    {%- for kpi_id, line in lines.items() %}
        select
            '{{ kpi_id }}' as kpi_id,
            '{{ line["direction"] }}' as direction,
            cast({{ line["pass_line"] }} as decimal(38, 4)) as pass_line,
            cast({{ line["limiting_line"] }} as decimal(38, 4)) as limiting_line
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
),

final as (
    select
        cast(v.institution_code as varchar) as institution_code,
        cast(v.kpi_id as varchar) as kpi_id,
        cast(v.academic_year as integer) as academic_year,
        cast(v.value as decimal(38, 4)) as value,
        cast(l.direction as varchar) as direction,
        l.pass_line,
        l.limiting_line,
        cast(case
            when v.value is null then false
            when l.direction = 'max' then v.value <= l.pass_line
            else v.value >= l.pass_line
        end as boolean) as meets_pass,
        cast(case
            when v.value is null then false
            when l.direction = 'max' then v.value <= l.limiting_line
            else v.value >= l.limiting_line
        end as boolean) as meets_limit
    from kpi_values as v
    inner join lines as l on v.kpi_id = l.kpi_id
    where v.academic_year is not null and v.fiscal_year is null
)

select * from final
