-- Staff joiners (lxrq in the calendar year) and leavers (lzrq, the first day no longer employed,
-- in the calendar year), by unit (reconciled to HR's unit codes) and staff category as the
-- warehouse held them on the joining day, or on the last day employed (lzrq - 1). Staff rows with
-- an unreadable lxrq/lzrq are left out. One row per (institution, year, unit_code,
-- staff_category_code).
with

staff as (
    select * from {{ ref('stg_hr__staff') }}
    where employment_dates_are_valid
),

versions as (
    select * from {{ ref('int_staff_versions') }}
),

events as (
    select
        staff_id,
        'joiner' as flow_type,
        joined_on as as_of_date,
        cast(year(joined_on) as integer) as year
    from staff
    where joined_on is not null
    union all
    select
        staff_id,
        'leaver' as flow_type,
        left_on - 1 as as_of_date,
        cast(year(left_on) as integer) as year
    from staff
    where left_on is not null
),

with_versions as (
    select
        e.*,
        v.unit_code as source_unit_code,
        v.staff_category_code
    from events as e
    left join versions as v
        on
            e.staff_id = v.staff_id
            and {{ held_at('v', 'e.as_of_date') }}
),

grouped as (
    select
        w.year,
        {{ reconciled_unit_code('u', 'w.source_unit_code') }} as unit_code,
        w.staff_category_code,
        min(coalesce(u.hr_unit_name, u.source_unit_name)) as unit_name,
        coalesce(bool_or(u.is_matched), false) as unit_is_matched,
        count(distinct w.staff_id) filter (where w.flow_type = 'joiner') as joiners,
        count(distinct w.staff_id) filter (where w.flow_type = 'leaver') as leavers
    from with_versions as w
    {{ join_unit_codes('hr', 'w.source_unit_code', 'u') }}
    group by
        w.year,
        {{ reconciled_unit_code('u', 'w.source_unit_code') }},
        w.staff_category_code
),

final as (
    select
        cast('{{ var("institution_code") }}' as varchar) as institution_code,
        cast(g.year as integer) as year,
        cast(g.unit_code as varchar) as unit_code,
        cast(g.unit_name as varchar) as unit_name,
        cast({{ name_en('org_unit', 'g.unit_code') }} as varchar) as unit_name_en,
        cast(g.unit_is_matched as boolean) as unit_is_matched,
        cast(g.staff_category_code as varchar) as staff_category_code,
        cast(cat.label_zh as varchar) as staff_category_name,
        cast(g.joiners as integer) as joiners,
        cast(g.leavers as integer) as leavers
    from grouped as g
    left join {{ code_set('jzglbm') }} as cat
        on g.staff_category_code = cat.code
)

select * from final
