"""Finance exports (财务): yearly budget workbooks and monthly voucher-line CSVs (GB18030).

Budgets are set per unit and economic class (wages by staff numbers, student aid in
the student office, goods and services everywhere, equipment projects in teaching
units).  Spending follows the budget at 85-98% a year, wages monthly with a
December bonus, goods, services and capital purchases heavily in December.  One
mid-year month is re-exported (``_v2``) after corrections; the current month is
still being written (``.part``).  Formats: ``finance.md``.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from demo_college.academic import Unit
from demo_college.common import Ctx, census
from demo_college.hr import HR
from demo_college.manifest import Manifest
from demo_college.names import ECON_CLASSES, SUBJECTS

MONTH_W = [6, 4, 7, 7, 7, 9, 7, 5, 9, 7, 8, 24]
LEDGER_HEADER = [
    "凭证日期",
    "凭证号",
    "分录号",
    "部门编码",
    "部门名称",
    "会计科目编码",
    "会计科目名称",
    "经济分类编码",
    "项目编号",
    "摘要",
    "借方金额",
    "贷方金额",
]
BUDGET_HEADER = [
    "部门编码",
    "部门名称",
    "经济分类编码",
    "经济分类名称",
    "项目编号",
    "项目名称",
    "年初预算数",
    "调整预算数",
    "调整后预算数",
]


@dataclass
class BudgetRow:
    dept: str
    dept_name: str
    econ: str
    project: str | None
    project_name: str | None
    initial: float
    adjust: float

    @property
    def adjusted(self) -> float:
        return round(self.initial + self.adjust, 2)


def _round100(x: float) -> float:
    return float(round(x / 100.0) * 100)


def budgets(ctx: Ctx, units: list[Unit], hr: HR, registered: dict[int, int]) -> dict[int, list[BudgetRow]]:
    rng = ctx.sub_rng("budget")
    sc = ctx.scale
    out: dict[int, list[BudgetRow]] = {}
    names = {u.hr: u.name for u in units}
    teaching = [u.hr for u in units if u.teaching]
    for fy in range(sc.first_year, sc.last_year + 2):
        reg = registered.get(fy, registered[min(registered)])
        total = reg * 15500.0 * rng.uniform(0.97, 1.03)
        jan = dt.date(fy, 1, 1)
        staff_by_unit: dict[str, int] = {}
        for s in hr.staff:
            if s.employed_at(jan):
                staff_by_unit[s.dwh] = staff_by_unit.get(s.dwh, 0) + 1
        n_staff = sum(staff_by_unit.values()) or 1
        rows: list[BudgetRow] = []

        def add(
            dept: str,
            econ: str,
            amount: float,
            project: tuple[str, str] | None = None,
            rows: list[BudgetRow] = rows,
        ) -> None:
            amount = _round100(amount)
            if amount <= 0:
                return
            rows.append(
                BudgetRow(
                    dept,
                    names[dept],
                    econ,
                    project[0] if project else None,
                    project[1] if project else None,
                    amount,
                    0.0,
                )
            )

        wages = total * 0.50
        for dept in sorted(staff_by_unit):
            share = wages * staff_by_unit[dept] / n_staff
            for econ, w in (
                ("30101", 0.30),
                ("30102", 0.15),
                ("30107", 0.30),
                ("30108", 0.10),
                ("30110", 0.06),
                ("30113", 0.07),
                ("30199", 0.02),
            ):
                add(dept, econ, share * w)
        aid = total * 0.06
        for dept, econ, w in (
            ("204", "30305", 0.2),
            ("204", "30308", 0.45),
            ("204", "30309", 0.15),
            ("202", "30302", 0.15),
            ("202", "30399", 0.05),
        ):
            add(dept, econ, aid * w)
        goods = total * 0.31
        gw: list[tuple[str, str, float]] = []
        for dept in sorted(names):
            gw += [(dept, "30201", 1.0), (dept, "30211", 0.8), (dept, "30216", 0.4)]
            if dept in teaching:
                gw += [(dept, "30218", 2.0), (dept, "30226", 1.5)]
        gw += [
            ("401", "30205", 3.0),
            ("401", "30206", 6.0),
            ("401", "30213", 5.0),
            ("302", "30207", 2.0),
            ("302", "30227", 3.0),
            ("201", "30215", 1.0),
            ("201", "30202", 0.8),
            ("206", "30299", 2.0),
            ("203", "30226", 2.0),
        ]
        gsum = sum(w for _, _, w in gw)
        pno = 0
        for dept, econ, w in gw:
            proj = None
            if econ == "30227":
                pno += 1
                proj = (f"XM{fy}{pno:03d}", "智慧校园运维服务项目")
            add(dept, econ, goods * w / gsum * rng.uniform(0.8, 1.2), proj)
        capital = total * 0.13
        cw = [(d, "31003", 1.0) for d in teaching if d not in ("111",)] + [
            ("303", "31003", 2.0),
            ("302", "31007", 2.0),
            ("302", "31022", 0.6),
            ("402", "31002", 1.0),
            ("402", "31099", 1.5),
        ]
        csum = sum(w for _, _, w in cw)
        for dept, econ, w in cw:
            pno += 1
            pname = {
                "31003": f"{names[dept]}实验室建设",
                "31007": "校园网升级改造",
                "31022": "教学管理软件采购",
                "31002": "办公设备更新",
                "31099": "校舍修缮工程",
            }[econ]
            add(dept, econ, capital * w / csum * rng.uniform(0.8, 1.2), (f"XM{fy}{pno:03d}", pname))
        for r in rows:
            if rng.random() < 0.2:
                r.adjust = _round100(r.initial * rng.uniform(-0.15, 0.2))
        out[fy] = rows
    return out


def write_budget(
    path: Path,
    fy: int,
    rows: list[BudgetRow],
    text_cells: set[tuple[int, int]],
    override_adjusted: dict[int, float],
) -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = "部门预算"
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=9)
    ws.cell(1, 1, f"{fy}年度部门预算表").font = Font(bold=True, size=14)
    ws.cell(1, 1).alignment = Alignment(horizontal="center")
    ws.cell(2, 1, "单位：元")
    for j, h in enumerate(BUDGET_HEADER, start=1):
        ws.cell(3, j, h).font = Font(bold=True)
    tot = [0.0, 0.0, 0.0]
    for i, r in enumerate(rows):
        rown = 4 + i
        adj_total = override_adjusted.get(i, r.adjusted)
        vals = [
            r.dept,
            r.dept_name,
            r.econ,
            ECON_CLASSES[r.econ],
            r.project,
            r.project_name,
            r.initial,
            r.adjust,
            adj_total,
        ]
        for j, v in enumerate(vals, start=1):
            if j >= 7 and (i, j) in text_cells:
                v = f"{v:,.2f}"
            c = ws.cell(rown, j, v)
            if j >= 7 and isinstance(v, float):
                c.number_format = "#,##0.00"
        tot[0] += r.initial
        tot[1] += r.adjust
        tot[2] += adj_total
    last = 4 + len(rows)
    ws.cell(last, 1, "合计")
    for j, v in enumerate(tot, start=7):
        ws.cell(last, j, round(v, 2)).number_format = "#,##0.00"
    wb.save(path)


def _amount(rng, x: float) -> str:
    if x == 0:
        return ""
    if abs(x) >= 1000 and rng.random() < 0.05:
        return f"{x:,.2f}"
    return f"{x:.2f}"


def generate_finance(
    ctx: Ctx, units: list[Unit], hr: HR, registered: dict[int, int], inbox: Path, manifest: Manifest
) -> dict[str, int]:
    """Write the inbox; return counts."""
    rng = ctx.sub_rng("finance")
    sc = ctx.scale
    today = ctx.today
    bdir = inbox / "budget"
    ldir = inbox / "ledger"
    bdir.mkdir(parents=True, exist_ok=True)
    ldir.mkdir(parents=True, exist_ok=True)
    all_budgets = budgets(ctx, units, hr, registered)
    names = {u.hr: u.name for u in units}
    admin = {u.hr for u in units if not u.teaching}
    counts = {"budget_rows": 0, "budget_files": 0, "ledger_lines": 0, "ledger_files": 0}
    # budget workbooks; defect: adjusted total that does not add up
    for fy, rows in all_budgets.items():
        text_cells = {(i, j) for i in range(len(rows)) for j in (7, 8, 9) if rng.random() < 0.02}
        override: dict[int, float] = {}
        n_bad = ctx.defect_count(len(rows), factor=0.5, cap=5)
        for i in sorted(rng.sample(range(len(rows)), n_bad)):
            r = rows[i]
            override[i] = round(r.adjusted + rng.choice([1000.0, -500.0, 20000.0, 0.5]), 2)
            text_cells.discard((i, 9))
            manifest.add(
                "budget_total_mismatch",
                "finance",
                "budget",
                {
                    "file": f"预算_{fy}.xlsx",
                    "line_no": 4 + i,
                    "部门编码": r.dept,
                    "经济分类编码": r.econ,
                    "项目编号": r.project,
                },
                "调整后预算数",
                f"{override[i]:.2f} != {r.initial:.2f} + {r.adjust:.2f}",
            )
        write_budget(bdir / f"预算_{fy}.xlsx", fy, rows, text_cells, override)
        counts["budget_rows"] += len(rows)
        counts["budget_files"] += 1
    # a mid-year budget adjustment re-exported for the last full year
    fy2 = sc.last_year
    rows2 = [BudgetRow(**r.__dict__) for r in all_budgets[fy2]]
    for r in rows2:
        if rng.random() < 0.1:
            r.adjust = _round100(r.adjust + r.initial * 0.05)
    write_budget(bdir / f"预算_{fy2}_v2.xlsx", fy2, rows2, set(), {})
    counts["budget_files"] += 1
    ctx.quirks.append(f"budget {fy2} re-exported as 预算_{fy2}_v2.xlsx (mid-year adjustment)")
    budgets_eff = dict(all_budgets)
    budgets_eff[fy2] = rows2
    # ledger
    reexport = (sc.last_year, 6)
    for fy, rows in budgets_eff.items():
        exec_rate = rng.uniform(0.87, 0.97)
        months: dict[int, list[tuple]] = {m: [] for m in range(1, 13)}
        for r in rows:
            spend = r.adjusted * exec_rate * rng.uniform(0.92, 1.06)
            cls = r.econ[:3]
            if cls == "301":
                w = [1.0] * 11 + [1.6]
            elif cls == "303":
                w = [4, 1, 6, 6, 6, 8, 3, 2, 12, 10, 10, 14]
            else:
                w = MONTH_W
            ns = []
            for m in range(1, 13):
                if cls == "301":
                    n = 1
                elif cls == "310":
                    n = rng.choice([0, 0, 1, 1, 2]) if m < 12 else rng.choice([2, 3, 4])
                else:
                    n = max(1, round(rng.choice([1, 2, 3, 4]) * sc.ledger_factor * 2))
                ns.append(n)
            ws = sum(wi for wi, n in zip(w, ns, strict=True) if n)
            for m in range(1, 13):
                n = ns[m - 1]
                if n == 0:
                    continue
                amt = spend * w[m - 1] / ws
                parts = [rng.uniform(0.5, 1.5) for _ in range(n)]
                psum = sum(parts)
                for p in parts:
                    months[m].append((r, round(amt * p / psum, 2)))
        for m in range(1, 13):
            month_end = dt.date(fy + (m == 12), m % 12 + 1, 1) - dt.timedelta(days=1)
            if month_end >= today:
                if dt.date(fy, m, 1) <= today:
                    _write_ledger(
                        ldir / f"凭证明细_{fy}{m:02d}.csv.part",
                        _lines(rng, fy, m, months[m][: len(months[m]) // 3], names, admin, today),
                        [],
                    )
                    ctx.quirks.append(f"凭证明细_{fy}{m:02d}.csv.part is still being written")
                continue
            lines = _lines(rng, fy, m, months[m], names, admin, month_end)
            bad: list[int] = []
            if (fy, m) != reexport:
                spend_idx = [i for i, ln in enumerate(lines) if ln[7] and ln[5].startswith("5")]
                n_bad = ctx.defect_count(len(spend_idx), factor=0.02, cap=2)
                bad = sorted(rng.sample(spend_idx, min(n_bad, len(spend_idx)))) if n_bad else []
            name = f"凭证明细_{fy}{m:02d}.csv"
            for i in bad:
                ln = list(lines[i])
                manifest.add(
                    "ledger_unknown_unit",
                    "finance",
                    "ledger",
                    {"file": name, "line_no": i + 2, "凭证号": ln[1], "分录号": ln[2]},
                    "部门编码",
                    f"部门编码 999 is not a zzjg unit (was {ln[3]})",
                )
                ln[3], ln[4] = "999", "未知部门"
                lines[i] = tuple(ln)
            _write_ledger(ldir / name, lines, [])
            counts["ledger_lines"] += len(lines)
            counts["ledger_files"] += 1
            if (fy, m) == reexport:
                v2 = [list(x) for x in lines]
                for i in rng.sample(range(len(v2)), min(3, len(v2))):
                    if v2[i][10]:
                        v2[i][10] = f"{float(v2[i][10].replace(',', '')) * 1.1:.2f}"
                last_no = max(int(x[1].split("-")[1]) for x in v2) + 1
                d = f"{month_end}"
                v2.append(
                    [
                        d,
                        f"记-{last_no:04d}",
                        1,
                        "203",
                        names["203"],
                        "5101",
                        SUBJECTS["5101"],
                        "30201",
                        "",
                        "补记办公费",
                        "3600.00",
                        "",
                    ]
                )
                v2.append(
                    [
                        d,
                        f"记-{last_no:04d}",
                        2,
                        "203",
                        names["203"],
                        "1002",
                        SUBJECTS["1002"],
                        "",
                        "",
                        "补记办公费",
                        "",
                        "3600.00",
                    ]
                )
                _write_ledger(ldir / f"凭证明细_{fy}{m:02d}_v2.csv", [tuple(x) for x in v2], [])
                counts["ledger_files"] += 1
                ctx.quirks.append(f"凭证明细_{fy}{m:02d} re-exported as _v2 with corrections")
    return counts


def _lines(
    rng, fy: int, m: int, spends: list[tuple], names: dict[str, str], admin: set[str], last_day: dt.date
) -> list[tuple]:
    out: list[tuple] = []
    first = dt.date(fy, m, 1)
    days = (last_day - first).days
    vouchers = []
    for r, amt in spends:
        if m == 12 and r.econ[:3] in ("302", "310"):
            d = first + dt.timedelta(days=rng.randint(max(0, days - 12), days))
        else:
            d = first + dt.timedelta(days=rng.randint(0, days))
        vouchers.append((d, r, amt))
    # income: tuition in September, other income monthly
    inc = [
        (
            first + dt.timedelta(days=rng.randint(0, days)),
            None,
            round(rng.uniform(2e5, 8e5) * (30 if m == 9 else 1), 2),
        )
    ]
    vouchers += inc
    vouchers.sort(key=lambda v: (v[0], v[1].dept if v[1] else "", v[1].econ if v[1] else ""))
    for no, (d, r, amt) in enumerate(vouchers, start=1):
        vno = f"记-{no:04d}"
        ds = f"{d}"
        if r is None:
            out.append(
                (
                    ds,
                    vno,
                    1,
                    "205",
                    names["205"],
                    "1002",
                    SUBJECTS["1002"],
                    "",
                    "",
                    "收到学费及其他收入",
                    _amount(rng, amt),
                    "",
                )
            )
            out.append(
                (
                    ds,
                    vno,
                    2,
                    "205",
                    names["205"],
                    "4101",
                    SUBJECTS["4101"],
                    "",
                    "",
                    "收到学费及其他收入",
                    "",
                    _amount(rng, amt),
                )
            )
            continue
        cls = r.econ[:3]
        if cls == "310":
            subj = "1701" if r.econ == "31022" else "1601"
        elif r.dept in admin:
            subj = "5101"
        else:
            subj = "5001"
        memo = f"{'支付' if cls != '310' else '购置'}{ECON_CLASSES[r.econ]}"
        if cls == "310" and rng.random() < 0.5:
            memo += ",含安装调试"
        reversal = rng.random() < 0.01 and cls != "301"
        out.append(
            (
                ds,
                vno,
                1,
                r.dept,
                r.dept_name,
                subj,
                SUBJECTS[subj],
                r.econ,
                r.project or "",
                memo,
                _amount(rng, amt),
                "",
            )
        )
        out.append(
            (ds, vno, 2, r.dept, r.dept_name, "1002", SUBJECTS["1002"], "", "", memo, "", _amount(rng, amt))
        )
        if reversal:
            part = round(-amt * 0.1, 2)
            vno2 = f"记-{no:04d}-1"
            out.append(
                (
                    ds,
                    vno2,
                    1,
                    r.dept,
                    r.dept_name,
                    subj,
                    SUBJECTS[subj],
                    r.econ,
                    r.project or "",
                    f"冲销{memo}",
                    _amount(rng, part),
                    "",
                )
            )
            out.append(
                (
                    ds,
                    vno2,
                    2,
                    r.dept,
                    r.dept_name,
                    "1002",
                    SUBJECTS["1002"],
                    "",
                    "",
                    f"冲销{memo}",
                    "",
                    _amount(rng, part),
                )
            )
    return out


def _write_ledger(path: Path, lines: list[tuple], _unused: list) -> None:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(LEDGER_HEADER)
    w.writerows(lines)
    path.write_bytes(buf.getvalue().encode("gb18030"))


def registered_by_year(acad, years: list[int]) -> dict[int, int]:
    return {y: sum(1 for s in acad.students if s.registered_at(census(y))) for y in years}
