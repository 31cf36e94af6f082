-- Monthly payroll (gzff): current version per ffid. Restricted: salary data.
with

source as (
    {{ current_version(source('hr', 'gzff'), ['ffid']) }}
),

renamed as (
    select
        '{{ var("institution_code") }}' as institution_code,
        try_cast(trim(ffid) as bigint) as payment_id,
        gh as staff_id,
        trim(ffny) as pay_month,
        try_cast(trim(jbgz) as decimal(18, 2)) as base_pay,
        try_cast(trim(jxgz) as decimal(18, 2)) as performance_pay,
        try_cast(trim(jt) as decimal(18, 2)) as allowances,
        try_cast(trim(yfhj) as decimal(18, 2)) as gross_pay,
        try_cast(trim(kkhj) as decimal(18, 2)) as deductions,
        try_cast(trim(sfhj) as decimal(18, 2)) as net_pay,
        {{ text_to_timestamp('gxsj') }} as updated_at,
        _loaded_at as loaded_at
    from source
    where _op != 'D'
),

final as (
    select * from renamed
)

select * from final
