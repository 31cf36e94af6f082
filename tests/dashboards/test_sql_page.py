"""The SQL page (分析查询): ad-hoc read-only SQL on the serving snapshot, rendered with AppTest.

The fake home holds both the published snapshot (person names masked, as the publisher writes
them) and a working warehouse with the unmasked names: the page must only ever see the former.
"""

from __future__ import annotations

import glob
import io
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest

from tests.dashboards.test_app import APP, TIMEOUT, all_text, assert_clean, build_snapshot, write_config

REAL_NAME = "张三丰"
MASKED_NAME = "张*"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("CAMPUS_DW_CONFIG", str(write_config(tmp_path, home)))
    monkeypatch.delenv("CAMPUS_DW_HOME", raising=False)
    build_snapshot(home)
    (snapshot,) = glob.glob(str(home / "serving" / "snapshots" / "*.duckdb"))
    con = duckdb.connect(snapshot)
    try:  # as orchestration/publish.py writes a masked table: value masked, comment says so
        con.execute(
            "create table marts.dim_advisor (advisor_code varchar, advisor_name varchar, unit_code varchar)"
        )
        con.execute(f"insert into marts.dim_advisor values ('T001', '{MASKED_NAME}', 'U01')")
        con.execute("comment on table marts.dim_advisor is '导师维度：每位导师一行'")
        con.execute(
            "comment on column marts.dim_advisor.advisor_name is "
            "'导师姓名 [serving: meta.pii: name -> first character + ''*'']'"
        )
        con.execute(
            "create table meta.masking (table_name varchar, column_name varchar, action varchar, reason varchar)"
        )
        con.execute("insert into meta.masking values ('dim_advisor', 'advisor_name', 'masked_name', 'pii')")
    finally:
        con.close()
    warehouse = home / "warehouse" / "warehouse.duckdb"
    warehouse.parent.mkdir(parents=True)
    con = duckdb.connect(str(warehouse))
    try:  # the working warehouse: unmasked, never to be read by the page
        con.execute("create schema marts")
        con.execute(
            "create table marts.dim_advisor (advisor_code varchar, advisor_name varchar, unit_code varchar)"
        )
        con.execute(f"insert into marts.dim_advisor values ('T001', '{REAL_NAME}', 'U01')")
    finally:
        con.close()
    (home / "leak.csv").write_text("advisor_name\n" + REAL_NAME + "\n", encoding="utf-8")
    return home


def open_sql(lang: str = "zh") -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.query_params["lang"] = lang
    at.run()
    at.switch_page("pages/sql.py")
    return at.run()


def run_sql(at: AppTest, sql: str, *, limit: int | None = None, timeout: int | None = None) -> AppTest:
    at.text_area(key="sql_query").input(sql)
    if limit is not None:
        at.number_input(key="sql_limit").set_value(limit)
    if timeout is not None:
        at.number_input(key="sql_timeout").set_value(timeout)
    at.button(key="sql_run").click()
    at.run()
    assert_clean(at)
    return at


def result_frame(at: AppTest):
    frames = [d.value for d in at.dataframe]
    # the result is the first dataframe on the page (left column); tables/columns follow
    return frames[0]


def error_text(at: AppTest) -> str:
    return "\n".join([e.value for e in at.error] + [c.value for c in at.code])


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_sql_page_lists_tables_with_descriptions(home: Path, lang: str) -> None:
    at = open_sql(lang)
    assert_clean(at)
    assert not at.error
    assert at.title[0].value == ("分析查询（只读 SQL）" if lang == "zh" else "Ad-hoc SQL (read-only)")
    tables = [d.value for d in at.dataframe if d.value.shape[1] == 3]
    listing = tables[0]
    names = set(listing.iloc[:, 0])
    assert {"marts.fct_kpi_values", "marts.dim_kpi", "marts.dim_advisor", "meta.masking"} <= names
    described = dict(zip(listing.iloc[:, 0], listing.iloc[:, 1], strict=True))
    assert described["marts.dim_advisor"] == "导师维度：每位导师一行"
    at.selectbox(key="sql_table_pick").set_value("marts.dim_advisor").run()
    assert_clean(at)
    columns = [d.value for d in at.dataframe][-1]
    assert list(columns.iloc[:, 0]) == ["advisor_code", "advisor_name", "unit_code"]
    assert "[serving: meta.pii" in columns.iloc[1, 2]


def test_sql_query_result_limit_and_downloads(home: Path) -> None:
    at = open_sql()
    run_sql(
        at,
        "select kpi_id, academic_year, value from marts.fct_kpi_values "
        "where kpi_id = 'registered_students' and academic_year = 2025",
    )
    df = result_frame(at)
    assert list(df.columns) == ["kpi_id", "academic_year", "value"]
    assert df.shape[0] == 1 and Decimal(str(df.iloc[0]["value"])) == Decimal("12345")
    keys = {b.key for b in at.download_button}
    assert {"dl_csv_sql_result", "dl_xlsx_sql_result"} <= keys
    assert any("1 行" in c.value for c in at.caption)

    run_sql(at, "select range as n from range(5000)", limit=100)
    df = result_frame(at)
    assert df.shape[0] == 100
    assert any("超过 100 行" in c.value for c in at.caption)


REFUSED = [
    ("insert into marts.dim_advisor values ('T002', '李四', 'U02')", "INSERT"),
    ("create temp table x as select 1", "CREATE"),
    ("attach '{warehouse}' as wh (read_only)", "ATTACH"),
    ("select * from read_csv('{leak}')", "disabled by configuration"),
    ("select * from glob('{home}/*')", "disabled by configuration"),
    ("copy marts.dim_advisor to '{out}'", "COPY"),
    ("install httpfs", "LOAD"),  # DuckDB parses INSTALL as a LOAD statement
    ("load '{warehouse}'", "LOAD"),
    ("set enable_external_access = true", "SET"),
    ("detach serving", "DETACH"),
    ("select 1; select 2", "One statement"),
    ("selec 1", "syntax error"),
]


def test_sql_refuses_writes_files_and_attach(home: Path) -> None:
    at = open_sql("en")
    out = home / "out.csv"
    for sql, expect in REFUSED:
        query = sql.format(
            warehouse=home / "warehouse" / "warehouse.duckdb", leak=home / "leak.csv", out=out, home=home
        )
        run_sql(at, query)
        text = error_text(at)
        assert at.error and expect in text, (sql, text)
        assert "Traceback" not in text
        assert REAL_NAME not in all_text(at)
        assert not any(b.key == "dl_csv_sql_result" for b in at.download_button)
    assert not out.exists()
    # the sandbox is still usable after the refusals
    run_sql(at, "select count(*) as n from marts.dim_advisor")
    assert not at.error and int(result_frame(at)["n"].iloc[0]) == 1


def test_sql_sees_only_the_masked_snapshot(home: Path) -> None:
    at = open_sql()
    run_sql(at, "select * from marts.dim_advisor")
    df = result_frame(at)
    assert list(df["advisor_name"]) == [MASKED_NAME]
    run_sql(at, "select path from duckdb_databases() where path is not null")
    paths = set(result_frame(at)["path"])
    assert len(paths) == 1 and "serving" in next(iter(paths)) and "warehouse" not in next(iter(paths))
    texts = all_text(at) + "".join(str(d.value.to_dict()) for d in at.dataframe)
    assert REAL_NAME not in texts


def test_sql_statement_timeout_interrupts(home: Path) -> None:
    at = open_sql("en")
    run_sql(
        at, "select count(*) from range(100000000000) a, range(1000) b where a.range * b.range = 7", timeout=1
    )
    assert any("timed out" in e.value for e in at.error), error_text(at)
    assert "statement timeout of 1 s" in error_text(at)


def test_downloads_hold_any_result_type() -> None:
    from openpyxl import load_workbook

    from dashboards.analyst_sql import _downloadable
    from dashboards.formatting import to_csv_bytes, to_xlsx_bytes

    table = pa.table(
        {
            "name": ["在校生数"],
            "value": pa.array([Decimal("12345.67")], pa.decimal128(18, 2)),
            "tags": pa.array([["a", "b"]]),
            "at": pa.array([datetime(2026, 9, 30, 8, tzinfo=UTC)], pa.timestamp("us", tz="UTC")),
            "n": pa.array([None], pa.int64()),
        }
    )
    df = _downloadable(table)
    ws = load_workbook(io.BytesIO(to_xlsx_bytes(df, "result"))).active
    assert [c.value for c in ws[1]] == ["name", "value", "tags", "at", "n"]
    row = [c.value for c in ws[2]]
    assert row[0] == "在校生数" and Decimal(str(row[1])) == Decimal("12345.67")
    assert row[2] == "['a', 'b']" and row[3] == datetime(2026, 9, 30, 8) and row[4] is None
    assert "在校生数" in to_csv_bytes(df).decode("utf-8-sig")
