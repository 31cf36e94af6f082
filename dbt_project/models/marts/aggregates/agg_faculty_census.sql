-- Full-time teachers (专任教师) employed at the census date C = Y-09-30 (fct_staff_census), by unit
-- held at C, title level at C (正高, 副高, 中级, 初级; 未定职级 without a title), highest degree held
-- at C, age band at C (from the birth date) and double qualification. Σ fulltime_teachers of a
-- year = fulltime_teachers. One row per (institution, academic_year, unit_code, title_level,
-- degree_code, age_band, is_double_qualified).
with

census as (
    select * from {{ ref('fct_staff_census') }}
    where is_fulltime_teacher
),

staff as (
    select
        staff_id,
        birth_date
    from {{ ref('stg_hr__staff') }}
),

with_age as (
    select
        c.*,
        case when s.birth_date <= c.census_date then date_sub('year', s.birth_date, c.census_date) end as age
    from census as c
    left join staff as s
        on c.staff_id = s.staff_id
),

banded as (
    select
        *,
        coalesce(title_level_zh_at_census, '未定职级') as title_level,
        case
            when age is null then '未知'
            when age < 30 then '29岁及以下'
            when age < 40 then '30-39岁'
            when age < 50 then '40-49岁'
            when age < 60 then '50-59岁'
            else '60岁及以上'
        end as age_band
    from with_age
),

grouped as (
    select
        b.institution_code,
        b.academic_year,
        {{ reconciled_unit_code('u', 'b.unit_code') }} as unit_code,
        b.title_level,
        b.highest_degree_code as degree_code,
        b.age_band,
        b.is_double_qualified,
        min(coalesce(u.hr_unit_name, u.source_unit_name)) as unit_name,
        coalesce(bool_or(u.is_matched), false) as unit_is_matched,
        count(*) as fulltime_teachers
    from banded as b
    {{ join_unit_codes('hr', 'b.unit_code', 'u') }}
    group by
        b.institution_code,
        b.academic_year,
        {{ reconciled_unit_code('u', 'b.unit_code') }},
        b.title_level,
        b.highest_degree_code,
        b.age_band,
        b.is_double_qualified
),

final as (
    select
        cast(g.institution_code as varchar) as institution_code,
        cast(g.academic_year as integer) as academic_year,
        cast(g.unit_code as varchar) as unit_code,
        cast(g.unit_name as varchar) as unit_name,
        cast({{ name_en('org_unit', 'g.unit_code') }} as varchar) as unit_name_en,
        cast(g.unit_is_matched as boolean) as unit_is_matched,
        cast(g.title_level as varchar) as title_level,
        cast(g.degree_code as varchar) as degree_code,
        cast(deg.label_zh as varchar) as degree_name,
        cast(g.age_band as varchar) as age_band,
        cast(g.is_double_qualified as boolean) as is_double_qualified,
        cast(g.fulltime_teachers as integer) as fulltime_teachers
    from grouped as g
    left join {{ code_set('xwm') }} as deg
        on g.degree_code = deg.code
)

select * from final
