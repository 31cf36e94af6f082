-- Payment platform bills: current version per bill_id (greatest updated_at, then greatest _loaded_at).
with

source as (
    select
        *,
        {{ iso_to_beijing_timestamp('updated_at') }} as updated_at_ts
    from {{ source('payment', 'bills') }}
    qualify row_number() over (
        partition by bill_id
        order by updated_at_ts desc nulls last, _loaded_at desc
    ) = 1
),

renamed as (
    select
        '{{ var("institution_code") }}' as institution_code,
        bill_id,
        student_no as student_id,
        {{ clean_code('item_code') }} as item_code,
        trim(academic_year) as academic_year_label,
        case
            when
                regexp_full_match(trim(academic_year), '[0-9]{4}-[0-9]{4}')
                and try_cast(substr(trim(academic_year), 6, 4) as integer)
                = try_cast(substr(trim(academic_year), 1, 4) as integer) + 1
                then try_cast(substr(trim(academic_year), 1, 4) as integer)
        end as academic_year,
        {{ text_to_amount('amount_due') }} as amount_due,
        {{ text_to_amount('amount_waived') }} as amount_waived,
        {{ text_to_amount('amount_paid') }} as amount_paid,
        nullif(trim(amount_due), '') is not null
        and {{ amount_text_is_valid('amount_due') }}
        and {{ amount_text_is_valid('amount_waived') }}
        and {{ amount_text_is_valid('amount_paid') }} as amounts_are_valid,
        lower({{ clean_code('status') }}) as status,
        {{ iso_to_beijing_timestamp('paid_at') }} as paid_at,
        updated_at_ts as updated_at,
        _loaded_at as loaded_at
    from source
),

final as (
    select
        r.*,
        item.code is not null as item_code_is_valid,
        st.code is not null as status_is_valid
    from renamed as r
    left join {{ code_set('item_code') }} as item on r.item_code = item.code
    left join {{ code_set('bill_status') }} as st on r.status = st.code
)

select * from final
