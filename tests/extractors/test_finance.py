"""Finance inbox: budget xlsx and GB18030 ledger csv, versions, refusals and quarantine."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import Workbook

from extractors.finance import extract_finance, parse_amount
from extractors.raw_schema import BUDGET_COLUMNS, LEDGER_COLUMNS
from orchestration.settings import FinanceSource


def write_budget(
    path: Path,
    rows: list[list],
    *,
    year: int = 2026,
    header: list[str] | None = None,
    sheet: str = "部门预算",
) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    ws.append([f"{year}年度部门预算表"])
    ws.merge_cells("A1:I1")
    ws.append(["单位：元"])
    ws.append(header or BUDGET_COLUMNS)
    for r in rows:
        ws.append(r)
    total = [
        sum(float(str(r[i]).replace(",", "")) for r in rows if r[i] not in (None, "")) for i in (6, 7, 8)
    ]
    ws.append(["合计", None, None, None, None, None, *total])
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


BUDGET_ROWS = [
    ["01", "计算机学院", "30101", "基本工资", None, None, 1000000.0, 50000.0, 1050000.0],
    ["01", "计算机学院", "30201", "办公费", "P001", "实验室建设", "1,200.00", 0, "1,200.00"],
    ["02", "外国语学院", "31002", "设备购置", "P002", "语音室", 80000.5, -5000, 70000.5],  # 调整后 mismatch
]

LEDGER_HEADER = ",".join(LEDGER_COLUMNS)
LEDGER_LINES = [
    '2026-03-02,记-001,1,01,计算机学院,5001,业务活动费用,30201,P001,"购办公用品,打印纸","12,800.00",',
    "2026-03-02,记-001,2,01,计算机学院,1002,银行存款,,,购办公用品,,12800.00",
    "2026-03-15,记-002,1,02,外国语学院,1601,固定资产,31002,P002,语音室设备,50000.00,",
    "2026-03-15,记-002,2,02,外国语学院,1002,银行存款,,,语音室设备,,50000.00",
]


def write_ledger(
    path: Path, lines: list[str], encoding: str = "gb18030", header: str = LEDGER_HEADER
) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(("\r\n".join([header, *lines]) + "\r\n").encode(encoding))
    return path


@pytest.fixture
def inbox(tmp_path) -> Path:
    return tmp_path / "finance_inbox"


def run(con, inbox: Path, run_id: str):
    return {r.table: r for r in extract_finance(con, FinanceSource(inbox=inbox), run_id=run_id)}


def files(con) -> dict[str, tuple]:
    return {
        r[0]: r[1:]
        for r in con.execute(
            "select file_name, status, reason, rows from raw._finance_files order by loaded_at"
        ).fetchall()
    }


def test_parse_amount():
    assert str(parse_amount("12,800.00")) == "12800.00"
    assert parse_amount("  ") is None and parse_amount(None) is None
    assert str(parse_amount("-50.5")) == "-50.5"
    for bad in ("12,80.00", "abc", "1.2.3", "１２"):
        with pytest.raises(ValueError):
            parse_amount(bad)


def test_budget_and_ledger_land_as_delivered(warehouse, inbox):
    write_budget(inbox / "budget" / "预算_2026.xlsx", BUDGET_ROWS)
    write_ledger(inbox / "ledger" / "凭证明细_202603.csv", LEDGER_LINES)
    (inbox / "ledger" / "凭证明细_202604.csv.part").write_bytes(b"garbage being written")
    res = run(warehouse, inbox, "r1")
    assert (res["budget"].rows_read, res["budget"].rows_landed, res["budget"].rows_quarantined) == (3, 3, 0)
    assert "1 rows where 调整后预算数 != 年初预算数 + 调整预算数" in res["budget"].message
    b = warehouse.execute(
        'select "部门编码", "年初预算数", "调整预算数", "调整后预算数", _period, _version, _line_no'
        " from raw.finance__budget order by _line_no"
    ).fetchall()
    assert b[0] == ("01", "1000000.00", "50000.00", "1050000.00", "2026", 1, 4)
    assert b[1][1] == "1,200.00" and b[2][1] == "80000.50"
    assert all(r[0] != "合计" for r in b)
    led = warehouse.execute(
        'select "摘要", "借方金额", "贷方金额", "经济分类编码", _line_no from raw.finance__ledger'
        " order by _line_no"
    ).fetchall()
    assert led[0] == ("购办公用品,打印纸", "12,800.00", "", "30201", 2)
    assert led[1][3] == "" and len(led) == 4
    assert set(files(warehouse)) == {"预算_2026.xlsx", "凭证明细_202603.csv"}  # .part ignored
    # rerun: same checksums, nothing loaded again
    res = run(warehouse, inbox, "r2")
    assert res["budget"].rows_read == res["ledger"].rows_read == 0
    assert warehouse.execute("select count(*) from raw.finance__ledger").fetchone()[0] == 4


def test_bad_ledger_lines_are_quarantined_with_line_numbers(warehouse, inbox):
    lines = LEDGER_LINES + [
        "2026-04-01,记-003,1,01,计算机学院,5001,业务活动费用,30201,,跨月,100.00,",  # line 6: outside month
        "2026-03-20,记-003,2,01,计算机学院,1002,银行存款,,,少一列,100.00",  # line 7: 11 columns
        "2026-03-20,记-004,1,01,计算机学院,5001,业务活动费用,30201,,金额错,1O0.00,",  # line 8: letter O
        "2026-03-02,记-001,1,01,计算机学院,5001,业务活动费用,30201,,重复,1.00,",  # line 9: duplicate key
        "2026/03/21,记-005,1,01,计算机学院,5001,业务活动费用,30201,,日期格式,1.00,",  # line 10
    ]
    write_ledger(inbox / "ledger" / "凭证明细_202603.csv", lines)
    for run_id in ("r1", "r2"):
        run(warehouse, inbox, run_id)
    q = warehouse.execute(
        "select source_ref, reason, record from raw._quarantine order by source_ref"
    ).fetchall()
    refs = [r[0] for r in q]
    assert refs == [f"凭证明细_202603.csv:{n}" for n in (10, 6, 7, 8, 9)] or sorted(refs) == sorted(
        f"凭证明细_202603.csv:{n}" for n in (6, 7, 8, 9, 10)
    )
    reasons = {r[0].split(":")[1]: r[1] for r in q}
    assert "outside the file's month" in reasons["6"]
    assert "wrong column count: 11" in reasons["7"]
    assert "unparseable amount in 借方金额" in reasons["8"]
    assert "duplicate" in reasons["9"]
    assert "凭证日期" in reasons["10"]
    assert any("少一列" in r[2] for r in q)  # the raw line is kept
    log = warehouse.execute(
        "select rows_read, rows_landed, rows_quarantined from raw._load_log"
        " where run_id='r1' and table_name='ledger'"
    ).fetchone()
    assert log == (9, 4, 5)


def test_wrong_encoding_and_missing_columns_refuse_the_whole_file(warehouse, inbox):
    write_ledger(inbox / "ledger" / "凭证明细_202603.csv", LEDGER_LINES, encoding="utf-8")
    write_ledger(inbox / "ledger" / "凭证明细_202604.csv", [], header=LEDGER_HEADER.replace(",贷方金额", ""))
    write_budget(
        inbox / "budget" / "预算_2026.xlsx", [r[:8] for r in BUDGET_ROWS][:0], header=BUDGET_COLUMNS[:-1]
    )
    run(warehouse, inbox, "r1")
    f = files(warehouse)
    assert f["凭证明细_202603.csv"][0] == "refused" and "UTF-8" in f["凭证明细_202603.csv"][1]
    assert f["凭证明细_202604.csv"][0] == "refused" and "贷方金额" in f["凭证明细_202604.csv"][1]
    assert f["预算_2026.xlsx"][0] == "refused" and "调整后预算数" in f["预算_2026.xlsx"][1]
    assert warehouse.execute("select count(*) from raw.finance__ledger").fetchone()[0] == 0


def test_invalid_gb18030_bytes_refuse_the_file(warehouse, inbox):
    p = write_ledger(inbox / "ledger" / "凭证明细_202603.csv", LEDGER_LINES)
    p.write_bytes(p.read_bytes() + b"2026-03-30,\x81\x20bad\r\n")
    run(warehouse, inbox, "r1")
    assert files(warehouse)["凭证明细_202603.csv"][0] == "refused"
    assert "GB18030" in files(warehouse)["凭证明细_202603.csv"][1]


def test_reexport_replaces_the_period_and_truncated_file_keeps_previous(warehouse, inbox):
    write_budget(inbox / "budget" / "预算_2026.xlsx", BUDGET_ROWS)
    write_ledger(inbox / "ledger" / "凭证明细_202603.csv", LEDGER_LINES)
    run(warehouse, inbox, "r1")
    # v2 of the ledger month: one line less; v2 of the budget: truncated (half the bytes)
    write_ledger(inbox / "ledger" / "凭证明细_202603_v2.csv", LEDGER_LINES[:3])
    good = write_budget(inbox / "tmp" / "x.xlsx", BUDGET_ROWS[:1]).read_bytes()
    (inbox / "budget" / "预算_2026_v2.xlsx").write_bytes(good[: len(good) // 2])
    res = run(warehouse, inbox, "r2")
    f = files(warehouse)
    assert f["凭证明细_202603.csv"][0] == "superseded" and f["凭证明细_202603_v2.csv"][0] == "loaded"
    assert f["预算_2026_v2.xlsx"][0] == "refused" and "truncated or corrupt" in f["预算_2026_v2.xlsx"][1]
    assert f["预算_2026.xlsx"][0] == "loaded"
    assert "预算_2026_v2.xlsx: refused" in res["budget"].message
    current = """select count(*) from raw.{t} r
        where _version = (select max(_version) from raw.{t} x where x._period = r._period)"""
    assert warehouse.execute(current.format(t="finance__ledger")).fetchone()[0] == 3  # no double counting
    assert warehouse.execute(current.format(t="finance__budget")).fetchone()[0] == 3  # previous data stays
    assert warehouse.execute("select count(*) from raw.finance__ledger").fetchone()[0] == 7  # history kept


def test_same_name_different_checksum_is_refused(warehouse, inbox):
    p = write_ledger(inbox / "ledger" / "凭证明细_202603.csv", LEDGER_LINES)
    run(warehouse, inbox, "r1")
    write_ledger(p, LEDGER_LINES[:2])
    res = run(warehouse, inbox, "r2")
    rows = warehouse.execute(
        "select status, reason from raw._finance_files where file_name = ? order by loaded_at", [p.name]
    ).fetchall()
    assert [r[0] for r in rows] == ["loaded", "refused"] and "another checksum" in rows[1][1]
    assert "refused" in res["ledger"].message
    assert warehouse.execute("select count(*) from raw.finance__ledger").fetchone()[0] == 4
    run(warehouse, inbox, "r3")  # reported once, not on every run
    assert (
        warehouse.execute("select count(*) from raw._finance_files where file_name = ?", [p.name]).fetchone()[
            0
        ]
        == 2
    )


def test_bad_budget_amount_is_quarantined(warehouse, inbox):
    rows = [*BUDGET_ROWS, ["03", "图书馆", "30201", "办公费", None, None, "一千", 0, 0]]
    write_budget(inbox / "budget" / "预算_2026.xlsx", rows[:3])
    p = inbox / "budget" / "预算_2026.xlsx"
    from openpyxl import load_workbook

    wb = load_workbook(p)
    ws = wb["部门预算"]
    ws.insert_rows(7)
    for i, v in enumerate(rows[3], start=1):
        ws.cell(row=7, column=i, value=v)
    wb.save(p)
    res = run(warehouse, inbox, "r1")
    assert (res["budget"].rows_read, res["budget"].rows_landed, res["budget"].rows_quarantined) == (4, 3, 1)
    ref, reason = warehouse.execute("select source_ref, reason from raw._quarantine").fetchone()
    assert ref == "预算_2026.xlsx:7" and "年初预算数" in reason
