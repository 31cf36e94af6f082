"""Loading the small college into SQLite, PostgreSQL (academic) and MariaDB (HR), read back with DuckDB."""

from __future__ import annotations

import datetime as dt
import decimal
import json
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from demo_college.generate import generate_college
from demo_college.loaders import copy_college_to_server, ddl_statements
from extractors.duckdb_setup import connect

PG = "postgresql://postgres@127.0.0.1:5432/{db}"
MY = "mysql://root@127.0.0.1:3306/{db}"


def _norm(v: object) -> object:
    if isinstance(v, dt.datetime):
        return v.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, decimal.Decimal | float):
        return round(float(v), 4)
    return v


def _sqlite_rows(path: Path, table: str) -> list[tuple]:
    con = sqlite3.connect(path)
    try:
        return sorted(tuple(_norm(x) for x in r) for r in con.execute(f"select * from {table}"))
    finally:
        con.close()


def _duck_rows(con, alias: str, table: str) -> list[tuple]:
    return sorted(
        tuple(_norm(x) for x in r) for r in con.execute(f"select * from {alias}.{table}").fetchall()
    )


@pytest.fixture()
def dbname() -> Iterator[str]:
    yield f"dc_test_{uuid.uuid4().hex[:10]}"


def test_sqlite_readback_with_duckdb(small_college: Path) -> None:
    con = connect()
    con.execute(f"ATTACH '{small_college / 'academic.sqlite'}' AS a (TYPE sqlite, READ_ONLY)")
    counts = json.loads((small_college / "college.json").read_text(encoding="utf-8"))["counts"]
    for t in ddl_statements("academic"):
        assert con.execute(f"select count(*) from a.{t}").fetchone()[0] == counts[f"academic.{t}"]
    assert con.execute("select count(*) from a.cjxx where gxsj is null").fetchone()[0] == 0
    con.close()


@pytest.mark.postgres
def test_postgres_academic(small_college: Path, tmp_path: Path, dbname: str) -> None:
    url = PG.format(db=dbname)
    out = generate_college("small", tmp_path / "pg", seed=20251, defect_rate=0.01, target="postgres", url=url)
    assert not (out / "academic.sqlite").exists() and (out / "hr.sqlite").exists()
    con = connect()
    try:
        con.execute(
            f"ATTACH 'host=127.0.0.1 port=5432 user=postgres dbname={dbname}' AS pg (TYPE postgres, READ_ONLY)"
        )
        for t in ddl_statements("academic"):
            assert _duck_rows(con, "pg", t) == _sqlite_rows(small_college / "academic.sqlite", t), t
        con.execute("DETACH pg")
        con.execute("ATTACH 'host=127.0.0.1 port=5432 user=postgres dbname=postgres' AS adm (TYPE postgres)")
        con.execute(f"CALL postgres_execute('adm', 'DROP DATABASE {dbname}', use_transaction=false)")
    finally:
        con.close()


@pytest.mark.mysql
def test_mysql_hr(small_college: Path, dbname: str) -> None:
    url = MY.format(db=dbname)
    copy_college_to_server(small_college, "mysql", url)
    manifest = json.loads((small_college / "manifest.json").read_text(encoding="utf-8"))
    zero = {d["key"]["gh"] for d in manifest if d["defect"] == "zero_date"}
    con = connect()
    try:
        con.execute(
            f"ATTACH 'host=127.0.0.1 port=3306 user=root database={dbname}' AS my (TYPE mysql, READ_ONLY)"
        )
        for t in ddl_statements("hr"):
            expect = _sqlite_rows(small_college / "hr.sqlite", t)
            if t == "jzgjbxx":  # the scanner reads MySQL zero dates as NULL
                expect = sorted(
                    tuple(None if (r[0] in zero and i == 3) else v for i, v in enumerate(r)) for r in expect
                )
            assert _duck_rows(con, "my", t) == expect, t
        raw = con.execute(
            "select * from mysql_query('my', 'select gh, cast(csrq as char) from jzgjbxx "
            "where csrq = ''0000-00-00''')"
        ).fetchall()
        assert {r[0] for r in raw} == zero and zero
        con.execute("DETACH my")
        con.execute("ATTACH 'host=127.0.0.1 port=3306 user=root' AS adm (TYPE mysql)")
        con.execute(f"CALL mysql_execute('adm', 'DROP DATABASE {dbname}')")
    finally:
        con.close()
