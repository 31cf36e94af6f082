"""Unified payment platform (统一支付): tuition, accommodation and textbook bills.

One bill per student, item and academic year for every student registered in that
year; waivers for some, most paid between late August and late September, some
late, partial or unpaid, refunds for students who leave early in the year.
``updated_at`` is the time of the last change, many bills sharing one (the batch
that created them, the nightly reconciliation).  Written as JSON lines with the API's
field names (``payment_api.md``).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from demo_college.academic import Academic
from demo_college.common import Ctx, census, rand_date
from demo_college.manifest import Manifest


def _iso(d: dt.datetime) -> str:
    return d.replace(microsecond=0).isoformat() + "+08:00"


def _money(x: float) -> str:
    return f"{x:.2f}"


def generate_bills(ctx: Ctx, acad: Academic, manifest: Manifest) -> list[dict[str, Any]]:
    rng = ctx.sub_rng("bills")
    now = ctx.now
    sc = ctx.scale
    bills: list[dict[str, Any]] = []
    for y in range(sc.first_year, sc.last_year + 2):
        c = census(y)
        start = dt.date(y, 9, 1)
        created_old = dt.datetime(y, 8, 15, 2, 0, 0)
        created_new = dt.datetime(y, 8, 5, 2, 0, 0)
        seq = 0
        for st in acad.students:
            if st.rxrq > c or (st.leave_date is not None and st.leave_date < start):
                continue
            new = st.nj == y
            created = created_new if new else created_old
            m = st.major_at(start) if st.events else st.major0
            f = 1.03 ** (st.nj - sc.first_year)
            if not st.fulltime:
                tuition = 4200.0 if st.xxxs == "2" else 3600.0
            elif st.pycc == "3":
                tuition = 26000.0
            elif st.pycc == "2":
                tuition = 14500.0
            else:
                tuition = 19800.0 + {"108": 4000.0, "110": 2000.0, "104": 1000.0}.get(m.unit.hr, 0.0)
            tuition = round(tuition * f / 100) * 100
            items = [("01", tuition)]
            if st.fulltime and rng.random() < 0.9:
                items.append(("02", float(rng.choice([1200, 1600, 1600, 2000]))))
            if rng.random() < 0.8:
                items.append(("03", float(rng.choice([380, 450, 520, 600, 680]))))
            early_leave = st.leave_date is not None and st.leave_date <= dt.date(y, 10, 31)
            for item, due in items:
                seq += 1
                waived = 0.0
                if item == "01" and st.fulltime and rng.random() < 0.06:
                    waived = rng.choice([2000.0, 4000.0, round(due * 0.5, 2), due])
                net = due - waived
                r = rng.random()
                paid = 0.0
                paid_at: dt.datetime | None = None
                status = "unpaid"
                updated = created
                if net <= 0:
                    status, updated = "paid", created + dt.timedelta(hours=1)
                elif r < 0.93:
                    if r < 0.12:
                        pd = rand_date(rng, dt.date(y, 8, 16), dt.date(y, 8, 31))
                    elif r < 0.86:
                        pd = rand_date(rng, dt.date(y, 9, 1), dt.date(y, 9, 25))
                    else:
                        pd = rand_date(rng, dt.date(y, 9, 26), dt.date(y, 12, 31))
                    paid_at = dt.datetime.combine(pd, dt.time()) + dt.timedelta(
                        seconds=rng.randrange(7 * 3600, 23 * 3600)
                    )
                    paid, status = net, "paid"
                elif r < 0.965:
                    pd = rand_date(rng, dt.date(y, 9, 1), dt.date(y, 10, 15))
                    paid_at = dt.datetime.combine(pd, dt.time()) + dt.timedelta(
                        seconds=rng.randrange(7 * 3600, 23 * 3600)
                    )
                    paid, status = round(net * rng.choice([0.3, 0.5, 0.5, 0.6]), 2), "partial"
                if paid_at is not None:
                    if paid_at > now:
                        paid_at, paid, status = None, 0.0, "unpaid"
                    else:
                        # the nightly reconciliation stamps the bill
                        updated = dt.datetime.combine(paid_at.date(), dt.time(23, 30))
                        if updated > now:
                            updated = paid_at
                if early_leave and paid > 0:
                    rd = max(st.leave_date, paid_at.date() if paid_at else st.leave_date) + dt.timedelta(
                        days=rng.randint(5, 25)
                    )
                    refund_at = dt.datetime.combine(rd, dt.time(15, rng.randint(0, 59), rng.randint(0, 59)))
                    if refund_at <= now:
                        paid, status, updated = 0.0, "refunded", refund_at
                bills.append(
                    {
                        "bill_id": f"{y}{item}{seq:07d}",
                        "student_no": st.xh,
                        "item_code": item,
                        "academic_year": f"{y}-{y + 1}",
                        "amount_due": _money(due),
                        "amount_waived": _money(waived),
                        "amount_paid": _money(paid),
                        "status": status,
                        "paid_at": _iso(paid_at) if paid_at else None,
                        "updated_at": _iso(updated),
                    }
                )
        # defect: bills for students the academic system does not know
        n_bad = ctx.defect_count(seq, factor=0.02, cap=20)
        for k in range(n_bad):
            seq += 1
            bid = f"{y}01{seq:07d}"
            pd = rand_date(rng, dt.date(y, 9, 1), dt.date(y, 9, 20))
            paid_at = dt.datetime.combine(pd, dt.time(10, rng.randint(0, 59)))
            if paid_at > now:
                continue
            xh = f"{y}9{k:05d}"
            bills.append(
                {
                    "bill_id": bid,
                    "student_no": xh,
                    "item_code": "01",
                    "academic_year": f"{y}-{y + 1}",
                    "amount_due": "15800.00",
                    "amount_waived": "0.00",
                    "amount_paid": "15800.00",
                    "status": "paid",
                    "paid_at": _iso(paid_at),
                    "updated_at": _iso(dt.datetime.combine(pd, dt.time(23, 30))),
                }
            )
            manifest.add(
                "bill_unknown_student",
                "payment",
                "bills",
                {"bill_id": bid},
                "student_no",
                f"student_no {xh} is not in xsjbsj",
            )
    bills.sort(key=lambda b: (b["updated_at"], b["bill_id"]))
    return bills


def write_bills(bills: list[dict[str, Any]], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)

    def q(v: str | None) -> str:
        return "null" if v is None else '"' + v + '"'  # generated values: no quotes or escapes

    with path.open("w", encoding="utf-8") as fh:
        fh.writelines("{" + ", ".join(f'"{k}": {q(v)}' for k, v in b.items()) + "}\n" for b in bills)
