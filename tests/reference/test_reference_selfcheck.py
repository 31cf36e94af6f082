"""Self-check of the reference KPI implementation on tiny hand-built colleges.

Every expected value below is worked out by hand from kpis.md (see the comments),
not by running the reference.
"""

from __future__ import annotations

import csv
import json
import sqlite3
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import openpyxl
import pytest
from stdnum.cn import ric

from .kpi_reference import (
    INVALID,
    KPI_IDS,
    compute_kpi_parts,
    compute_kpis,
    id_key,
    load_college,
    main,
    parse_amount,
    parse_date,
    round_half_up,
)

REPO = Path(__file__).resolve().parents[2]
DDL = REPO / "demo_college" / "ddl"
TS = "2024-01-01 08:00:00"


def gb_id(first17: str) -> str:
    return first17 + ric.calc_check_digit(first17 + "0")  # stdnum expects a placeholder check digit


ID_A = gb_id("11010119800101001")  # staff T1
ID_B = gb_id("11010119800101007")  # check digit X: staff T5 (stored lower-case x) = external W3
ID_C = gb_id("11010119850505003")  # external W1 and W2: one person
ID_D = gb_id("11010119700707005")  # staff T2 (left on C) = external W7
assert ID_B.endswith("X")
assert all(ric.is_valid(n) for n in (ID_A, ID_B, ID_C, ID_D))


# --------------------------------------------------------------------------- builders


def student(xh, rxrq, pycc="1", xxxs="1", gjdqm="156", xbm="1"):
    return dict(
        xh=xh, xm="学生" + xh, xbm=xbm, csrq="20050101", mzm="01", gjdqm=gjdqm, sfzjlxm="1",
        sfzjh=None, yxsh="01", zyh="Z1", bh=None, nj=2024, rxrq=rxrq, pycc=pycc, xxxs=xxxs,
        xjztm="01", sjhm=None, gxsj=TS,
    )  # fmt: skip


def staff(gh, jzglbm, lxrq, lzrq=None, zgxwm=None, sfssx=None, sfzjh=None, zyjszwm=None):
    return dict(
        gh=gh, xm="教工" + gh, xbm="1", csrq="1980-01-01", mzm="01", sfzjlxm="1", sfzjh=sfzjh,
        dwh="01", jzglbm=jzglbm, yrfsm="1", zyjszwm=zyjszwm, zgxlm="14", zgxwm=zgxwm, sfssx=sfssx,
        lxrq=lxrq, lzrq=lzrq, dqztm="01", gxsj=TS,
    )  # fmt: skip


def external(wpbh, prksrq, prjsrq=None, sfzjh=None):
    return dict(
        wpbh=wpbh, xm="外聘" + wpbh, xbm="1", sfzjlxm="1", sfzjh=sfzjh, zyjszwm=None, zgxwm=None,
        pdwh="01", prksrq=prksrq, prjsrq=prjsrq, gxsj=TS,
    )  # fmt: skip


def grade(cjid, xh, jxbh, kscj, xnxq="2024-2025-1", ksxzm="01", sfsc="0", gxsj="2025-01-10 10:00:00"):
    return dict(
        cjid=cjid, xh=xh, jxbh=jxbh, kch="K" + jxbh, xnxq=xnxq, kscj=kscj, jd=None, ksxzm=ksxzm,
        sfsc=sfsc, gxsj=gxsj,
    )  # fmt: skip


def insert(conn: sqlite3.Connection, table: str, rows: list[dict]) -> None:
    for row in rows:
        cols = ", ".join(row)
        marks = ", ".join("?" for _ in row)
        conn.execute(f"insert into {table} ({cols}) values ({marks})", list(row.values()))


def write_college(
    root: Path,
    *,
    students=(),
    xjyd=(),
    byxx=(),
    byqx=(),
    cjxx=(),
    staff_rows=(),
    zcbd=(),
    wpjs=(),
    budgets=None,
    ledgers=None,
    bills=(),
    first_year=2024,
    last_year=2025,
) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "college.json").write_text(
        json.dumps({"scale": "tiny", "seed": 0, "first_year": first_year, "last_year": last_year}),
        encoding="utf-8",
    )
    acad = sqlite3.connect(root / "academic.sqlite")
    acad.executescript((DDL / "academic.sql").read_text(encoding="utf-8"))
    insert(acad, "xsjbsj", list(students))
    insert(
        acad, "xjyd", [dict(ydid=i, xh=x, ydlbm=c, ydrq=d, gxsj=TS) for i, (x, c, d) in enumerate(xjyd, 1)]
    )
    insert(acad, "byxx", [dict(xh=x, byrq=d, byjlm=c, xwm=w, gxsj=TS) for x, d, c, w in byxx])
    insert(acad, "byqx", [dict(xh=x, bynf=2025, qxlbm=q, gxsj=TS) for x, q in byqx])
    insert(acad, "cjxx", list(cjxx))
    acad.commit()
    acad.close()
    hr = sqlite3.connect(root / "hr.sqlite")
    hr.executescript((DDL / "hr.sql").read_text(encoding="utf-8"))
    insert(hr, "jzgjbxx", list(staff_rows))
    insert(
        hr,
        "zcbd",
        [dict(bdid=b, gh=g, zyjszwm_q=None, zyjszwm_h=t, prrq=d, gxsj=TS) for b, g, t, d in zcbd],
    )
    insert(hr, "wpjs", list(wpjs))
    hr.commit()
    hr.close()
    bdir = root / "finance_inbox" / "budget"
    ldir = root / "finance_inbox" / "ledger"
    bdir.mkdir(parents=True)
    ldir.mkdir(parents=True)
    for name, amounts in (budgets or {}).items():
        write_budget(bdir / name, amounts)
    for name, lines in (ledgers or {}).items():
        write_ledger(ldir / name, lines)
    (root / "payment").mkdir()
    with (root / "payment" / "bills.jsonl").open("w", encoding="utf-8") as fh:
        for b in bills:
            fh.write(json.dumps(b, ensure_ascii=False) + "\n")
    return root


def write_budget(path: Path, amounts: list) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "部门预算"
    ws["A1"] = "2024年度部门预算表"
    ws.merge_cells("A1:I1")
    ws["A2"] = "单位：元"
    ws.append(
        [
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
    )
    for i, amt in enumerate(amounts):
        ws.append(["01", "教务处", f"3020{i}", "办公费", None, None, amt, 0, amt])
    ws.append(["合计", None, None, None, None, None, None, None, 99999999])
    wb.save(path)


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


def write_ledger(path: Path, lines: list[tuple]) -> None:
    """lines: (date, subject, econ code, debit, credit)"""
    with path.open("w", encoding="gb18030", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(LEDGER_HEADER)
        for n, (d, subject, econ, dr, cr) in enumerate(lines, 1):
            w.writerow(
                [d, f"记-{n:03d}", 1, "01", "教务处", subject, "科目", econ, "", "摘要，含逗号", dr, cr]
            )


def bill(
    bid,
    xh,
    due,
    waived="0.00",
    paid="0.00",
    status="paid",
    item="01",
    ay="2024-2025",
    upd="2024-10-01T10:00:00+08:00",
):
    return dict(
        bill_id=bid, student_no=xh, item_code=item, academic_year=ay, amount_due=due, amount_waived=waived,
        amount_paid=paid, status=status, paid_at=None, updated_at=upd,
    )  # fmt: skip


# --------------------------------------------------------------------------- the tiny college
#
# Academic year Y = 2024: C = 2024-09-30, C' = 2025-09-30, the year ends 2025-08-31.

STUDENTS = [
    student("S01", "2024-09-30"),  # enrols on C: registered; FT domestic undergraduate, weight 1
    student("S02", "2024-10-01"),  # enrols on C+1: not registered; entrant
    student("S03", "2022-09-01"),  # withdraws ON C: not registered, not a leaver of Y
    student("S04", "2022-09-01"),  # withdraws on C+1: registered, leaver, withdrawal
    student("S05", "2021-09-01"),  # byxx and xjyd 18 the same day: completion (byxx wins); graduate
    student("S06", "2023-09-01", pycc="3", gjdqm="840"),  # FT international master's: weight 3
    student("S07", "2023-09-01", pycc="3", gjdqm="344"),  # Hong Kong = domestic; master's: weight 1.5
    student("S08", "2023-09-01", xxxs="2"),  # part-time: 0.3
    student("S09", "2023-09-01", xxxs="3", xbm="男"),  # correspondence 0.1; legacy gender text irrelevant
    student("S10", "2024-09-01", pycc="2"),  # on leave (11) before C: counts; 结业 in 2025-07: completion
    student("S11", "2024-02-30"),  # impossible enrolment date: left out everywhere
    student("S12", "2022-09-01", pycc="3", gjdqm=" 156"),  # master's graduate without degree; weight 1.5
    student("S13", "2022-09-01", pycc="2"),  # 专科 graduate: outside the degree rate; byqx 40
    student("S14", "2023-09-01"),  # expelled 2025-09-01: leaver, but after the year end: no withdrawal
    student("S15", "2021-09-01"),  # graduates ON C: not registered; graduate of AY 2024 (byrq >= 09-01)
]
XJYD = [
    ("S03", "14", "2024-09-30"),
    ("S04", "14", "2024-10-01"),
    ("S05", "18", "2025-06-30"),
    ("S10", "11", "2024-09-15"),
    ("S14", "16", "2025-09-01"),
]
BYXX = [
    ("S05", "2025-06-30", "01", "4"),
    ("S10", "2025-07-01", "02", None),
    ("S12", "2025-06-30", "01", None),
    ("S13", "2025-06-20", "01", None),
    ("S15", "2024-09-30", "01", "4"),
]
BYQX = [("S05", "10"), ("S13", "40"), ("S15", "21")]

CJXX = [
    grade(1, "A", "J1", "85"),  # pass
    grade(2, "A", "J2", "59.9"),  # fail: compared unrounded
    grade(3, "A", "J3", "60"),  # pass
    grade(4, "A", "J4", "缓考"),  # deferred: not a sitting, dropped
    grade(5, "A", "J4", "55", ksxzm="02"),  # resit: not a first attempt
    grade(6, "B", "J1", "40", gxsj="2025-01-10 10:00:00"),  # older row of a duplicate pair
    grade(7, "B", "J1", "70", gxsj="2025-01-12 09:00:00"),  # newest: pass
    grade(8, "C", "J1", "90", gxsj="2025-01-10 10:00:00"),  # same gxsj ...
    grade(9, "C", "J1", "不及格", gxsj="2025-01-10 10:00:00"),  # ... greater cjid wins: fail
    grade(10, "C", "J2", "105"),  # uninterpretable: dropped
    grade(11, "C", "J3", "良好"),  # pass
    grade(12, "C", "J4", "缺考"),  # absent: fail
    grade(13, "D", "J1", "95", sfsc="1", gxsj="2025-01-20 10:00:00"),  # soft-deleted (dropped first)
    grade(14, "D", "J1", "50"),  # so this row remains: fail
    grade(15, "D", "J2", "80", xnxq="2023-2024-2"),  # other year
    grade(16, "D", "J3", "及格", xnxq="2024-2025-2"),  # spring term: pass
    grade(17, "D", "J4", None),  # null: dropped
    grade(18, "E", "J1", "75", ksxzm="03"),  # retake: not a first attempt
    grade(19, "E", "J2", "缓考", gxsj="2025-01-15 10:00:00"),  # newest row of the pair is deferred ...
    grade(20, "E", "J2", "88", gxsj="2025-01-10 10:00:00"),  # ... so the pair drops out entirely
]
# remaining rows: 1 P, 2 F, 3 P, 7 P, 9 F, 11 P, 12 F, 14 F, 16 P -> 5 / 9

STAFF = [
    staff("T1", "01", "2010-01-01", zgxwm="3", sfssx="1", sfzjh=ID_A),  # senior since 2020
    staff("T2", "01", "2015-01-01", lzrq="2024-09-30", sfzjh=ID_D),  # gone on C
    staff("T3", "01", "2015-01-01", lzrq="2024-10-01", zgxwm="4", sfssx="0"),  # leaves C+1: counts
    staff("T4", "01", "2024-09-30", zgxwm="2", zyjszwm="011"),  # joins on C; no zcbd row: no title
    staff("T5", "02", "2000-01-01", sfzjh=ID_B.lower()),  # administrator, ID with lower-case x
    staff("T6", "01", "2024-10-01", zgxwm="3"),  # joins C+1
    staff("T7", "01", "2000-01-01", lzrq="0000-00-00", zgxwm=""),  # zero date = null: employed
]
ZCBD = [
    (1, "T1", "013", "2010-01-01"),
    (2, "T1", "012", "2020-06-01"),
    (3, "T3", "013", "2015-01-01"),
    (4, "T3", "012", "2024-10-01"),  # promoted the day after census
    (5, "T7", "011", "2019-01-01"),
    (6, "T7", "013", "2019-01-01"),  # same prrq: larger bdid wins -> 013, not senior
]
WPJS = [
    external("W1", "2024-09-01", "2024-09-30", sfzjh=ID_C),  # last day engaged = C: engaged
    external("W2", "2024-01-01", None, sfzjh=ID_C),  # same person as W1: counts once
    external("W3", "2024-01-01", None, sfzjh=ID_B),  # same person as employed T5: not counted
    external("W4", "2024-10-01", None),  # starts after C
    external("W5", "2024-01-01", "2024-09-29"),  # ended before C
    external("W6", "2024-01-01", None, sfzjh="123"),  # invalid ID: counted by wpbh
    external("W7", "2024-01-01", None, sfzjh=ID_D),  # same person as T2, who left on C: counted
]

BUDGETS = {
    "预算_2024.xlsx": [999.00],  # replaced by v2
    "预算_2024_v2.xlsx": [1000.00, "1,200.00", 300.50],  # 2500.50
}
LEDGERS = {
    "凭证明细_202401.csv": [("2024-01-05", "5001", "30101", "1000.00", "")],  # replaced by v2
    "凭证明细_202401_v2.csv": [
        ("2024-01-05", "5001", "30101", "1,000.00", ""),  # personnel 1000
        ("2024-01-06", "5101", "30201", "200.00", ""),
        ("2024-01-06", "1002", "", "", "1,200.00"),  # bank: no economic class
        ("2024-01-20", "5101", "30201", "-50.00", ""),  # reversal
    ],
    "凭证明细_202412.csv": [
        ("2024-12-01", "5001", "30301", "100.00", ""),  # personnel 100
        ("2024-12-02", "1601", "31002", "500.00", ""),  # capital purchase
        ("2024-12-03", "5101", "30201", "", "20.00"),  # credit on an expense line: -20
    ],
    "凭证明细_202501.csv": [("2025-01-02", "5001", "30101", "999.00", "")],  # F = 2025
    "凭证明细_202312.csv": [("2023-12-02", "5001", "30101", "777.00", "")],  # F = 2023
    "凭证明细_202402.csv.part": [("2024-02-02", "5001", "30101", "9999.00", "")],  # incomplete: ignored
}
# F = 2024: 1000 + 200 - 50 + 100 + 500 - 20 = 1730.00; personnel 1100

BILLS = [
    bill("B1", "S01", "10000.00", paid="10000.00"),
    bill("B2", "S04", "10000.00", waived="2000.00", paid="4000.00", status="partial"),
    bill("B3", "S05", "10000.00", status="refunded"),
    bill("B4", "S01", "1200.00", paid="1200.00", item="02"),  # accommodation
    bill("B5", "S01", "9000.00", ay="2023-2024"),  # other year
    bill("B6", "X999", "5000.00", paid="5000.00"),  # unknown student: counts
    bill("B7", "S06", "3000.00", paid="3000.00", upd="2024-11-01T10:00:00+08:00"),  # newer state first
    bill("B7", "S06", "3000.00", paid="0.00", status="unpaid", upd="2024-10-01T10:00:00+08:00"),
    bill("B8", "S01", "100000.00", paid="12345.00", status="partial", ay="2025-2026"),  # 0.12345
]
# 2024-2025: paid 10000 + 4000 + 5000 + 3000 = 22000 over 10000 + 8000 + 5000 + 3000 = 26000


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Path:
    return write_college(
        tmp_path_factory.mktemp("tiny") / "college",
        students=STUDENTS,
        xjyd=XJYD,
        byxx=BYXX,
        byqx=BYQX,
        cjxx=CJXX,
        staff_rows=STAFF,
        zcbd=ZCBD,
        wpjs=WPJS,
        budgets=BUDGETS,
        ledgers=LEDGERS,
        bills=BILLS,
    )


def D(text: str) -> Decimal:
    return Decimal(text)


def test_interface_shape(tiny):
    out = compute_kpis(tiny, 2024)
    assert out["academic_year"] == "2024-2025"
    assert out["census_date"] == "2024-09-30"
    assert out["fiscal_year"] == 2024
    assert list(out["kpis"]) == KPI_IDS
    assert compute_kpis(tiny, 2024, 2023)["fiscal_year"] == 2023


def test_people_at_census(tiny):
    k = compute_kpis(tiny, 2024)["kpis"]
    # S01 S04 S05 S06 S07 S08 S09 S10 S12 S13 S14
    assert k["registered_students"] == 11
    assert k["fulltime_students"] == 9
    # 1+1+1+3+1.5+0.3+0.1+1+1.5+1+1
    assert k["fte_students"] == D("12.4")
    assert k["fulltime_teachers"] == 4  # T1 T3 T4 T7
    assert k["external_teachers"] == 3  # person(W1,W2), W6, W7
    assert k["teachers_total"] == D("5.5")
    assert k["student_teacher_ratio"] == D("2.25")  # 12.4 / 5.5 = 2.2545...
    assert k["pct_teachers_postgrad_degree"] == D("0.5000")  # T1 (3), T4 (2)
    assert k["pct_teachers_senior_title"] == D("0.2500")  # T1 only
    assert k["pct_teachers_double_qualified"] == D("0.2500")  # T1


def test_flows_and_balance(tiny):
    k = compute_kpis(tiny, 2024)["kpis"]
    assert k["entrants"] == 1  # S02
    assert k["leavers"] == 2  # S04, S14
    assert k["completions"] == 4  # S05 (byxx beats same-day xjyd), S10, S12, S13
    k_next = compute_kpis(tiny, 2025)["kpis"]
    assert k_next["registered_students"] == 6  # S01 S02 S06 S07 S08 S09
    assert k["registered_students"] + k["entrants"] - k["leavers"] - k["completions"] == 6


def test_teaching_and_outcomes(tiny):
    parts = compute_kpi_parts(tiny, 2024)
    assert (
        parts["first_attempt_pass_rate"]["numerator"],
        parts["first_attempt_pass_rate"]["denominator"],
    ) == (5, 9)
    k = compute_kpis(tiny, 2024)["kpis"]
    assert k["first_attempt_pass_rate"] == D("0.5556")
    assert k["graduates"] == 4  # S05 S12 S13 S15 (S10 is 结业)
    assert k["degree_award_rate"] == D("0.6667")  # S05 S15 of S05 S12 S15
    assert k["employment_rate"] == D("0.5000")  # S05 (10), S15 (21) of 4
    assert k["withdrawal_rate"] == D("0.0909")  # S04 of 11


def test_money(tiny):
    k = compute_kpis(tiny, 2024)["kpis"]
    assert k["budget_total"] == D("2500.50")
    assert k["expenditure_total"] == D("1730.00")
    assert k["budget_execution_rate"] == D("0.6919")  # 1730 / 2500.5 = 0.69186...
    assert k["personnel_expenditure_ratio"] == D("0.6358")  # 1100 / 1730 = 0.63583...
    assert k["tuition_collection_rate"] == D("0.8462")  # 22000 / 26000 = 0.84615...
    assert k["expenditure_per_student"] == D("192.22")  # 1730 / 9


def test_other_fiscal_year(tiny):
    k = compute_kpis(tiny, 2024, 2023)["kpis"]
    assert k["expenditure_total"] == D("777.00")
    assert k["budget_total"] is None  # no budget file for 2023
    assert k["budget_execution_rate"] is None
    assert k["personnel_expenditure_ratio"] == D("1.0000")
    assert k["expenditure_per_student"] == D("86.33")  # 777 / 9 = 86.333...
    assert compute_kpis(tiny, 2024, 2025)["kpis"]["expenditure_total"] == D("999.00")


def test_half_up_at_kpi_level(tiny):
    # 12345 / 100000 = 0.12345 exactly: half-up gives 0.1235 (banker's rounding would give 0.1234)
    assert compute_kpis(tiny, 2025)["kpis"]["tuition_collection_rate"] == D("0.1235")


def test_empty_college_gives_nulls(tmp_path):
    root = write_college(tmp_path / "empty")
    k = compute_kpis(root, 2024)["kpis"]
    for kpi in ("registered_students", "fulltime_students", "fulltime_teachers", "external_teachers",
                "entrants", "leavers", "completions", "graduates"):  # fmt: skip
        assert k[kpi] == 0, kpi
    assert k["fte_students"] == D("0.0")
    assert k["teachers_total"] == D("0.0")
    for kpi in ("student_teacher_ratio", "pct_teachers_postgrad_degree", "pct_teachers_senior_title",
                "pct_teachers_double_qualified", "first_attempt_pass_rate", "degree_award_rate",
                "employment_rate", "withdrawal_rate", "budget_total", "expenditure_total",
                "budget_execution_rate", "personnel_expenditure_ratio", "tuition_collection_rate",
                "expenditure_per_student"):  # fmt: skip
        assert k[kpi] is None, kpi


def test_zero_denominators_with_some_data(tmp_path):
    # students but no teachers; teachers' ratios null; a refunded-only bill set is null too
    root = write_college(
        tmp_path / "c",
        students=[student("S1", "2020-09-01")],
        bills=[bill("B1", "S1", "100.00", status="refunded")],
        ledgers={"凭证明细_202403.csv": [("2024-03-01", "5101", "30201", "10.00", "-10.00")]},
    )
    k = compute_kpis(root, 2024)["kpis"]
    assert k["registered_students"] == 1
    assert k["student_teacher_ratio"] is None
    assert k["pct_teachers_senior_title"] is None
    assert k["tuition_collection_rate"] is None
    assert k["expenditure_total"] == D("20.00")  # 10 - (-10)
    assert k["expenditure_per_student"] == D("20.00")
    assert k["budget_execution_rate"] is None
    assert k["withdrawal_rate"] == D("0.0000")


def test_rounding_helper():
    assert round_half_up(Fraction(12345, 100000), 4) == D("0.1235")
    assert round_half_up(Fraction(-12345, 100000), 4) == D("-0.1235")
    assert round_half_up(Fraction(5, 2), 0) == 3
    assert round_half_up(Fraction(2345, 1000), 2) == D("2.35")
    assert round_half_up(Fraction(1, 3), 4) == D("0.3333")
    assert round_half_up(D("1730.005"), 2) == D("1730.01")
    assert round_half_up(None, 4) is None


def test_parsers():
    assert str(parse_date("20240930")) == "2024-09-30"
    assert str(parse_date("2024-09-30 00:00:00")) == "2024-09-30"
    assert parse_date("0000-00-00") is None
    assert parse_date("") is None
    assert parse_date("2024-02-30") is INVALID
    assert parse_amount("1,200.00") == D("1200.00")
    assert parse_amount(300.5) == D("300.5")
    assert parse_amount("") is None
    assert parse_amount("abc") is INVALID
    assert id_key(ID_B.lower()) == ID_B
    assert id_key("123") is None


def test_main_prints_json(tiny, capsys):
    main(["--dir", str(tiny), "--year", "2024"])
    out = json.loads(capsys.readouterr().out)
    assert out["academic_year"] == "2024-2025"
    assert out["kpis"]["tuition_collection_rate"] == 0.8462
    assert out["kpis"]["registered_students"] == 11


def test_load_once_many_years(tiny):
    college = load_college(tiny)
    assert college.kpis(2024)["kpis"] == compute_kpis(tiny, 2024)["kpis"]
    assert college.kpis(2025)["kpis"]["registered_students"] == 6


# --------------------------------------------------------------------------- the generated small college


@pytest.mark.slow
def test_small_demo_college_is_consistent_and_plausible(tmp_path):
    generate = pytest.importorskip("demo_college.generate")
    root = generate.generate_college("small", tmp_path / "small")
    college = load_college(root)
    meta = json.loads((root / "college.json").read_text(encoding="utf-8"))
    years = list(range(meta["first_year"], meta["last_year"] + 1))
    assert years
    for y in years:
        k = college.kpis(y)["kpis"]
        k_next = college.kpis(y + 1)["kpis"]
        # the balance of kpis.md holds exactly between two census dates
        assert (
            k["registered_students"] + k["entrants"] - k["leavers"] - k["completions"]
            == k_next["registered_students"]
        ), y
        census = meta.get("census", {}).get(str(y))
        if census:  # the generator's own claim, computed independently
            assert k["registered_students"] == census["registered"], y
            assert k["fte_students"] == Decimal(str(census["fte_students"])), y
        assert 16 <= k["student_teacher_ratio"] <= 22, (y, k["student_teacher_ratio"])
        assert Decimal("0.80") <= k["first_attempt_pass_rate"] <= Decimal("0.95"), y
        assert Decimal("0.80") <= k["tuition_collection_rate"] <= 1, y
        assert Decimal("0.5") <= k["budget_execution_rate"] <= Decimal("1.1"), y
        assert Decimal("0.3") <= k["personnel_expenditure_ratio"] <= Decimal("0.8"), y
        assert 0 < k["withdrawal_rate"] < Decimal("0.05"), y
        assert k["graduates"] > 0 and k["degree_award_rate"] is not None and k["employment_rate"] is not None
