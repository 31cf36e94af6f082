-- Budget rows (预算_YYYY.xlsx): per period only the highest _version loaded; the 合计 (total) row is not data.
with

source as (
    select *
    from {{ source('finance', 'budget') }}
    qualify _version = max(_version) over (partition by _period)
),

renamed as (
    select
        try_cast(trim(_period) as integer) as fiscal_year,
        _file as file_name,
        _version as file_version,
        _line_no as line_no,
        {{ clean_code('"部门编码"') }} as unit_code,
        "部门名称" as unit_name,
        {{ clean_code('"经济分类编码"') }} as econ_class_code,
        "经济分类名称" as econ_class_name,
        {{ clean_code('"项目编号"') }} as project_code,
        "项目名称" as project_name,
        {{ text_to_amount('"年初预算数"') }} as initial_budget,
        {{ text_to_amount('"调整预算数"') }} as budget_adjustment,
        {{ text_to_amount('"调整后预算数"') }} as adjusted_budget,
        _loaded_at as loaded_at
    from source
),

final as (
    select
        '{{ var("institution_code") }}' as institution_code,
        r.*,
        substr(r.econ_class_code, 1, 3) as econ_class_prefix,
        econ.label_zh as econ_class_group_zh,
        econ.code is not null as econ_class_is_valid,
        coalesce(r.adjusted_budget = r.initial_budget + r.budget_adjustment, false) as adjusted_budget_is_consistent
    from renamed as r
    left join {{ code_set('econ_class') }} as econ on substr(r.econ_class_code, 1, 3) = econ.code
    where
        coalesce(r.unit_code, '') != '合计'
        and not (r.unit_code is null and trim(coalesce(r.unit_name, '')) = '合计')
)

select * from final
