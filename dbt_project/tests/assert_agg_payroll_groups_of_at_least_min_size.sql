-- agg_payroll publishes only groups of at least var min_group_size (5) staff paid.
select
    institution_code,
    pay_month,
    unit_code,
    staff_category_code,
    staff_paid
from {{ ref('agg_payroll') }}
where staff_paid < {{ var('min_group_size') }}
