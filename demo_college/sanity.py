"""A quick, independent calculation of the main indicators on a generated college (SQLite target).

Not the warehouse: a plausibility check of the generator (``python -m demo_college.sanity DIR``),
following kpis.md closely enough to show the proportions are realistic.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from pathlib import Path
from typing import Any


def indicators(out_dir: Path) -> dict[str, Any]:
    from extractors.duckdb_setup import connect

    out_dir = Path(out_dir)
    college = json.loads((out_dir / "college.json").read_text(encoding="utf-8"))
    con = connect()
    con.execute(f"ATTACH '{out_dir / 'academic.sqlite'}' AS a (TYPE sqlite, READ_ONLY)")
    con.execute(f"ATTACH '{out_dir / 'hr.sqlite'}' AS h (TYPE sqlite, READ_ONLY)")
    con.execute("SET sqlite_all_varchar = true") if False else None
    res: dict[str, Any] = {}
    first, last = college["first_year"], college["last_year"]
    for y in range(first, last + 2):
        c = f"DATE '{y}-09-30'"
        row = con.execute(f"""
            with leave as (
                select xh, min(d) d from (
                    select xh, cast(ydrq as date) d from a.xjyd where ydlbm in ('14','16','18','19','20')
                    union all select xh, cast(byrq as date) from a.byxx) group by xh),
            reg as (
                select s.* from a.xsjbsj s left join leave l using (xh)
                where cast(s.rxrq as date) <= {c} and (l.d is null or l.d > {c}))
            select count(*),
                   sum(case when xxxs = '2' then 0.3 when xxxs = '3' then 0.1
                            when gjdqm not in ('156','344','446','158') then 3
                            when pycc = '3' then 1.5 else 1 end)
            from reg""").fetchone()
        ft = con.execute(f"""select count(*) from h.jzgjbxx where jzglbm = '01'
            and cast(lxrq as date) <= {c} and (lzrq is null or cast(lzrq as date) > {c})""").fetchone()[0]
        ext = con.execute(f"""select count(*) from h.wpjs w where cast(prksrq as date) <= {c}
            and (prjsrq is null or cast(prjsrq as date) >= {c})
            and not exists (select 1 from h.jzgjbxx j where j.sfzjh = w.sfzjh
                and cast(j.lxrq as date) <= {c} and (j.lzrq is null or try_cast(j.lzrq as date) > {c}))""").fetchone()[
            0
        ]
        total = ft + 0.5 * ext
        res[y] = {
            "registered": row[0],
            "fte": round(float(row[1]), 1),
            "fulltime_teachers": ft,
            "external_teachers": ext,
            "student_teacher_ratio": round(float(row[1]) / total, 2) if total else None,
        }
    for y in range(first, last + 1):
        pr = con.execute(f"""
            with g as (select *, row_number() over (partition by xh, jxbh order by gxsj desc, cjid desc) rn
                       from a.cjxx where sfsc <> '1' and xnxq in ('{y}-{y + 1}-1', '{y}-{y + 1}-2') and ksxzm = '01'),
            k as (select kscj from g where rn = 1 and kscj <> '缓考' and kscj is not null
                  and (try_cast(kscj as double) between 0 and 100 or kscj in ('优秀','良好','中等','及格','不及格','缺考')))
            select avg(case when try_cast(kscj as double) >= 60 or kscj in ('优秀','良好','中等','及格') then 1.0 else 0 end) from k
        """).fetchone()[0]
        grads = con.execute(f"""
            select count(*), avg(case when q.qxlbm in ('10','11','12','20','21','30') then 1.0 else 0 end),
                   avg(case when s.pycc in ('1','3') then (case when b.xwm is not null then 1.0 else 0 end) end)
            from a.byxx b join a.xsjbsj s using (xh) left join a.byqx q using (xh)
            where b.byjlm = '01' and cast(b.byrq as date) between DATE '{y}-09-01' and DATE '{y + 1}-08-31'""").fetchone()
        res[y].update(
            {
                "first_attempt_pass_rate": round(float(pr or 0), 4),
                "graduates": grads[0],
                "employment_rate": round(float(grads[1] or 0), 4),
                "degree_award_rate": round(float(grads[2] or 0), 4),
            }
        )
    # money
    bills = [
        json.loads(line)
        for line in (out_dir / "payment" / "bills.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    inbox = out_dir / "finance_inbox"
    for f in range(first, last + 2):
        due = paid = 0.0
        for b in bills:
            if b["item_code"] == "01" and b["academic_year"] == f"{f}-{f + 1}" and b["status"] != "refunded":
                due += float(b["amount_due"]) - float(b["amount_waived"])
                paid += float(b["amount_paid"])
        budget = _budget_total(inbox, f)
        spend, pers = _spend(inbox, f)
        res.setdefault(f, {}).update(
            {
                "tuition_collection_rate": round(paid / due, 4) if due else None,
                "budget_total": round(budget, 2),
                "expenditure_total": round(spend, 2),
                "budget_execution_rate": round(spend / budget, 4) if budget else None,
                "personnel_expenditure_ratio": round(pers / spend, 4) if spend else None,
            }
        )
    con.close()
    return res


def _num(v: Any) -> float:
    if v is None or v == "":
        return 0.0
    if isinstance(v, (int, float)):
        return float(v)
    return float(str(v).replace(",", ""))


def _budget_total(inbox: Path, fy: int) -> float:
    from openpyxl import load_workbook

    files = sorted(inbox.glob(f"budget/预算_{fy}*.xlsx"))
    if not files:
        return 0.0
    path = max(files, key=lambda p: int(p.stem.split("_v")[1]) if "_v" in p.stem else 1)
    ws = load_workbook(path, read_only=True)["部门预算"]
    total = 0.0
    for row in ws.iter_rows(min_row=4, values_only=True):
        if row[0] == "合计":
            break
        total += _num(row[8])
    return total


def _spend(inbox: Path, fy: int) -> tuple[float, float]:
    best: dict[str, tuple[int, Path]] = {}
    for p in inbox.glob(f"ledger/凭证明细_{fy}*.csv"):
        stem = p.stem.split("_")
        period, ver = stem[1], int(stem[2][1:]) if len(stem) > 2 else 1
        if period not in best or best[period][0] < ver:
            best[period] = (ver, p)
    spend = pers = 0.0
    for _v, p in best.values():
        for row in csv.DictReader(io.StringIO(p.read_bytes().decode("gb18030"))):
            if row["经济分类编码"]:
                amt = _num(row["借方金额"]) - _num(row["贷方金额"])
                spend += amt
                if row["经济分类编码"][:3] in ("301", "303"):
                    pers += amt
    return spend, pers


if __name__ == "__main__":
    for k, v in indicators(Path(sys.argv[1])).items():
        print(k, v)
