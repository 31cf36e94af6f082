-- One row per payment-platform bill at its current version (greatest updated_at, then the later
-- landing), with the flags the tuition collection rate uses. Bills for students unknown to the
-- academic system are kept (the money is real) and flagged.
with

bills as (
    select * from {{ ref('stg_payment__bills') }}
),

students as (
    select student_id from {{ ref('stg_academic__students') }}
),

final as (
    select
        b.institution_code,
        b.bill_id,
        b.student_id,
        b.item_code,
        b.academic_year,
        b.academic_year_label,
        b.amount_due,
        b.amount_waived,
        b.amount_paid,
        b.amounts_are_valid,
        b.status,
        b.paid_at,
        b.updated_at,
        coalesce(b.item_code = '01', false) as is_tuition,
        coalesce(b.status = 'refunded', false) as is_refunded,
        s.student_id is not null as is_known_student
    from bills as b
    left join students as s
        on b.student_id = s.student_id
)

select * from final
