"""Integration: the small demo college (generator + payment server) through extract_all, on SQLite,
PostgreSQL and MariaDB; then changes at the source and an incremental run that sees exactly them."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from extractors.duckdb_setup import connect
from extractors.run import extract_all
from orchestration.settings import settings_from_dict
from tests.conftest import ROW_HASH_PAIR

from .conftest import MY_HOST, MY_PORT, MY_USER, PG_HOST, PG_PORT, PG_USER, my_exec, pg_exec, sqlite_exec

generate = pytest.importorskip("demo_college.generate")
payment_server = pytest.importorskip("demo_college.payment_server")

TOKEN = "demo-test-token"
NOW = dt.datetime(2026, 11, 20, 10, 0, 0)  # the small college's clock


def settings_for(out: Path, academic: dict, hr: dict, url: str):
    return settings_from_dict(
        {
            "home": str(out / "home"),
            "sources": {
                "academic": academic,
                "hr": hr,
                "finance": {"inbox": str(out / "finance_inbox")},
                "payment": {"base_url": url, "token_env": "CDW_TEST_PAYMENT_TOKEN", "page_size": 1000},
            },
        }
    )


def table_counts(con) -> dict[str, int]:
    """Current rows per source table (latest version per key, tombstones dropped)."""
    from extractors.catalog import load_catalog

    out = {}
    for system, tables in load_catalog().items():
        for t in tables.values():
            keys = ", ".join(f'"{k}"' for k in t.primary_key)
            out[f"{system}.{t.name}"] = (
                con.execute(f"""select count(*) from (select arg_max(_op, _loaded_at) op
                from raw."{t.raw_name}" group by {keys}) where op <> 'D'""").fetchone()[0]
            )
    return out


@pytest.mark.parametrize(
    "target",
    [
        "sqlite",
        pytest.param("postgres", marks=pytest.mark.postgres),
        pytest.param("mysql", marks=pytest.mark.mysql),
    ],
)
def test_demo_college_full_changes_incremental(tmp_path, monkeypatch, request, target):
    monkeypatch.setenv("CDW_TEST_PAYMENT_TOKEN", TOKEN)
    out = tmp_path / "demo"
    academic = {"type": "sqlite", "path": str(out / "academic.sqlite")}
    hr = {"type": "sqlite", "path": str(out / "hr.sqlite")}
    if target == "postgres":
        db = request.getfixturevalue("pg_admin")()
        generate.generate_college(
            "small", out, target="postgres", url=f"postgresql://{PG_USER}@{PG_HOST}:{PG_PORT}/{db}"
        )
        academic = {"type": "postgres", "host": PG_HOST, "port": PG_PORT, "user": PG_USER, "database": db}

        def change_academic(sql):
            pg_exec(db, sql)
    else:
        if target == "mysql":
            db = request.getfixturevalue("my_admin")()
            generate.generate_college(
                "small", out, target="mysql", url=f"mysql://{MY_USER}@{MY_HOST}:{MY_PORT}/{db}"
            )
            hr = {"type": "mysql", "host": MY_HOST, "port": MY_PORT, "user": MY_USER, "database": db}
        else:
            generate.generate_college("small", out)

        def change_academic(sql):
            sqlite_exec(out / "academic.sqlite", sql)

    def change_hr(sql):
        if target == "mysql":
            my_exec(db, "set sql_mode = '';\n" + sql)
        else:
            sqlite_exec(out / "hr.sqlite", sql)

    college = json.loads((out / "college.json").read_text(encoding="utf-8"))
    with payment_server.PaymentServer(out / "payment" / "bills.jsonl", token=TOKEN) as srv:
        settings = settings_for(out, academic, hr, srv.url)
        con = connect(tmp_path / "warehouse.duckdb")
        rep = extract_all(con, settings, mode="full", run_id="d1", now=NOW)
        assert rep.ok, rep.summary()
        counts = table_counts(con)
        for name, n in college["counts"].items():
            if name.startswith(("academic.", "hr.")):
                assert counts[name] == n, name
        assert (
            con.execute("select count(distinct bill_id) from raw.payment__bills").fetchone()[0]
            == college["counts"]["payment.bills"]
        )
        current_ledger = con.execute("""select count(*) from raw.finance__ledger l where _version =
            (select max(_version) from raw.finance__ledger x where x._period = l._period)""").fetchone()[0]
        assert current_ledger + rep_quarantined(con, "ledger") == ledger_lines_in_current_files(
            out / "finance_inbox"
        )
        assert (
            con.execute("select count(*) from raw._finance_files where status = 'superseded'").fetchone()[0]
            >= 2
        )
        if target == "mysql":
            msg = [r.message for r in rep.results if r.table == "jzgjbxx"][0]
            assert "zero dates" in msg

        def snapshot():
            hashed = {
                t
                for (t,) in con.execute(
                    "select table_name from information_schema.columns"
                    " where table_schema = 'raw' and column_name = '_row_hash'"
                ).fetchall()
            }
            return {
                t: con.execute(
                    f"select count(*), md5(coalesce(string_agg(h, ',' order by h), ''))"
                    f" from (select md5(to_json(r)::varchar) h from"
                    f" (select * exclude (_run_id, _loaded_at)"
                    f"{f' replace ({ROW_HASH_PAIR} as _row_hash)' if t in hashed else ''}"
                    f' from raw."{t}") r)'
                ).fetchone()
                for (t,) in con.execute(
                    "select table_name from information_schema.tables"
                    " where table_schema='raw' and not starts_with(table_name, '_')"
                ).fetchall()
            }

        before = snapshot()
        for run in ("d2", "d3"):  # reruns change nothing
            rep = extract_all(
                con, settings, mode="incremental", run_id=run, now=NOW + dt.timedelta(minutes=30)
            )
            assert rep.ok, rep.summary()
            assert snapshot() == before

        # changes at the sources: update, insert, delete, new column
        later = "2026-11-20 10:20:00"
        change_academic(f"""update cjxx set kscj = '99', gxsj = '{later}' where cjid = (select min(cjid) from cjxx);
            update xsjbsj set sjhm = '13900000000', gxsj = '{later}' where xh = (select min(xh) from xsjbsj);""")
        change_hr(f"""insert into zzjg (dwh, dwmc, sjdwh, dwlbm, jlrq, cxrq, gxsj)
                      values ('999', '新设研究院', null, '02', '2026-11-01', null, '{later}');
            alter table zcbd add column bz varchar(20);""")
        change_hr("delete from wpjs where wpbh = (select * from (select min(wpbh) from wpjs) t);")
        srv.update_bill(
            json.loads((out / "payment" / "bills.jsonl").open(encoding="utf-8").readline())["bill_id"],
            status="refunded",
        )
        rep = extract_all(
            con,
            settings,
            mode="incremental",
            run_id="d4",
            now=NOW + dt.timedelta(minutes=40),
            detect_deletes=True,
        )
        assert rep.ok, rep.summary()
        got = {
            (r.system, r.table): (r.rows_new_versions, r.rows_deleted)
            for r in rep.results
            if r.rows_new_versions or r.rows_deleted
        }
        assert got == {
            ("academic", "cjxx"): (1, 0),
            ("academic", "xsjbsj"): (1, 0),
            ("hr", "zzjg"): (1, 0),
            ("hr", "wpjs"): (0, 1),
            ("payment", "bills"): (1, 0),
        }
        assert any("new source column bz" in r.message for r in rep.results if r.table == "zcbd")
        con.close()


def ledger_lines_in_current_files(inbox: Path) -> int:
    """Data lines of the highest version of each ledger month, counted independently with the csv module."""
    import csv
    import re

    best: dict[str, tuple[int, Path]] = {}
    for p in (inbox / "ledger").glob("*.csv"):
        m = re.match(r"凭证明细_(\d{6})(?:_v(\d+))?\.csv$", p.name)
        v = int(m.group(2) or 1)
        if m.group(1) not in best or best[m.group(1)][0] < v:
            best[m.group(1)] = (v, p)
    n = 0
    for _, p in best.values():
        with p.open(encoding="gb18030", newline="") as fh:
            n += sum(1 for row in csv.reader(fh) if row) - 1
    return n


def rep_quarantined(con, table: str) -> int:
    return con.execute(
        "select count(*) from raw._quarantine where system='finance' and table_name=?", [table]
    ).fetchone()[0]
