"""Database extraction against real PostgreSQL, MariaDB and SQLite (small fixtures)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from extractors.bookkeeping import beijing_now, get_watermark
from extractors.catalog import tables_of
from extractors.database import SourceUnavailable, extract_database
from orchestration.settings import ServerSource, SqliteSource

from .conftest import make_source
from .fixtures_db import FIXTURES

BACKENDS = [
    pytest.param("academic", "sqlite", id="academic-sqlite"),
    pytest.param("academic", "postgres", id="academic-postgres", marks=pytest.mark.postgres),
    pytest.param("hr", "sqlite", id="hr-sqlite"),
    pytest.param("hr", "mysql", id="hr-mysql", marks=pytest.mark.mysql),
]


def raw_checksums(con, system: str) -> dict[str, tuple[int, str]]:
    """Row count and checksum of each raw table on business columns + _op/_row_hash (not load metadata)."""
    out = {}
    for t in tables_of(system):
        cols = [
            r[0]
            for r in con.execute(
                "select column_name from information_schema.columns where table_schema='raw' and table_name=?"
                " order by ordinal_position",
                [t.raw_name],
            ).fetchall()
            if r[0] not in ("_run_id", "_loaded_at")
        ]
        expr = "concat_ws('|', " + ", ".join(f"coalesce(\"{c}\"::VARCHAR, '∅')" for c in cols) + ")"
        out[t.name] = con.execute(
            f"select count(*), md5(coalesce(string_agg({expr}, '\n' order by {expr}), '')) from raw.\"{t.raw_name}\""
        ).fetchone()
    return out


def ops_of_run(con, system: str, run_id: str) -> dict[str, dict[str, list[str]]]:
    out: dict[str, dict[str, list[str]]] = {}
    for t in tables_of(system):
        key = t.primary_key[0]
        rows = con.execute(
            f'select _op, "{key}" from raw."{t.raw_name}" where _run_id = ? order by 1, 2', [run_id]
        ).fetchall()
        for op, k in rows:
            out.setdefault(t.name, {}).setdefault(op, []).append(k)
    return out


@pytest.fixture
def source_factory(tmp_path, request):
    def make(system: str, kind: str):
        pg = request.getfixturevalue("pg_admin") if kind == "postgres" else None
        my = request.getfixturevalue("my_admin") if kind == "mysql" else None
        return make_source(kind, system, tmp_path, pg, my)

    return make


@pytest.mark.parametrize(("system", "kind"), BACKENDS)
def test_full_then_changes_then_incremental(warehouse, source_factory, system, kind):
    rows, changes, expected = FIXTURES[system]
    src = source_factory(system, kind)
    src.exec(rows)

    res = extract_database(warehouse, system, src.settings, mode="full", run_id="r1")
    assert all(r.status == "ok" for r in res), [r.message for r in res]
    assert sum(r.rows_new_versions for r in res) == sum(r.rows_read for r in res) > 0
    first = raw_checksums(warehouse, system)

    # rerunning (full and incremental) changes nothing
    for run, mode in (("r2", "full"), ("r3", "incremental")):
        res = extract_database(warehouse, system, src.settings, mode=mode, run_id=run)
        assert sum(r.rows_new_versions + r.rows_deleted for r in res) == 0, [r.as_dict() for r in res]
        assert raw_checksums(warehouse, system) == first

    src.exec(changes)
    res = extract_database(
        warehouse, system, src.settings, mode="incremental", run_id="r4", detect_deletes=True
    )
    assert all(r.status == "ok" for r in res), [r.message for r in res]
    assert ops_of_run(warehouse, system, "r4") == expected
    drift = [r for r in res if "new source column bz" in r.message]
    assert len(drift) == 1
    # rerun twice: nothing new
    after = raw_checksums(warehouse, system)
    for run in ("r5", "r6"):
        res = extract_database(
            warehouse, system, src.settings, mode="incremental", run_id=run, detect_deletes=True
        )
        assert sum(r.rows_new_versions + r.rows_deleted for r in res) == 0
        assert raw_checksums(warehouse, system) == after
    # load log reconciles
    bad = warehouse.execute(
        "select count(*) from raw._load_log where rows_read <> rows_landed + rows_quarantined"
    ).fetchone()[0]
    assert bad == 0
    assert (
        get_watermark(warehouse, system, "cjxx" if system == "academic" else "gzff") == "2026-06-01 10:00:00"
    )


@pytest.mark.postgres
@pytest.mark.mysql
@pytest.mark.parametrize(("system", "server"), [("academic", "postgres"), ("hr", "mysql")])
def test_canonical_text_is_the_same_for_every_engine(tmp_path, source_factory, system, server):
    from extractors.duckdb_setup import connect
    from extractors.raw_schema import create_raw_schema

    rows = FIXTURES[system][0]
    hashes = {}
    for kind in ("sqlite", server):
        src = source_factory(system, kind)
        src.exec(rows)
        con = connect(tmp_path / f"wh_{kind}.duckdb")
        create_raw_schema(con)
        extract_database(con, system, src.settings, mode="full", run_id="r1")
        hashes[kind] = {
            t.name: sorted(r[0] for r in con.execute(f'select _row_hash from raw."{t.raw_name}"').fetchall())
            for t in tables_of(system)
        }
        if system == "academic":
            assert con.execute("select xf from raw.academic__kcxx where kch='K001'").fetchone()[0] == "4.0"
            assert con.execute("select jd, gxsj from raw.academic__cjxx where cjid='1'").fetchone() == (
                "3.50",
                "2026-01-05 08:00:00",
            )
            assert con.execute(
                "select rxrq, csrq from raw.academic__xsjbsj where xh='2023002'"
            ).fetchone() == ("2023-09-01", "2005-03-04")
        else:
            assert con.execute("select jbgz, jt from raw.hr__gzff where ffid='1'").fetchone() == (
                "5000.00",
                None,
            )
            assert (
                con.execute("select csrq from raw.hr__jzgjbxx where gh='T001'").fetchone()[0] == "1980-05-06"
            )
        con.close()
    assert hashes["sqlite"] == hashes[server]


@pytest.mark.parametrize(("system", "kind"), BACKENDS)
def test_future_update_timestamp_is_reported_and_never_moves_the_watermark(
    warehouse, source_factory, system, kind
):
    rows = FIXTURES[system][0]
    src = source_factory(system, kind)
    src.exec(rows)
    future = (beijing_now() + timedelta(hours=3)).strftime("%Y-%m-%d %H:%M:%S")
    table, key = ("dm_yxs", "yxsh") if system == "academic" else ("zzjg", "dwh")
    src.exec(f"update {table} set gxsj = '{future}' where {key} = '01'")
    res = {
        r.table: r
        for r in extract_database(warehouse, system, src.settings, mode="full", run_id="r1", tables=[table])
    }
    assert "more than 1 hour in the future" in res[table].message and f"{key}=01" in res[table].message
    assert get_watermark(warehouse, system, table) < future
    assert res[table].rows_landed == res[table].rows_read  # landed (interpretable), not lost


@pytest.mark.mysql
def test_mysql_zero_dates_become_null_and_are_reported(warehouse, source_factory):
    src = source_factory("hr", "mysql")
    src.exec(FIXTURES["hr"][0])
    src.exec(
        "update jzgjbxx set csrq = '0000-00-00' where gh = 'T002';"
        " update zzjg set jlrq = '0000-00-00' where dwh = '90';"
    )
    res = {r.table: r for r in extract_database(warehouse, "hr", src.settings, mode="full", run_id="r1")}
    assert (
        "zero dates ('0000-00-00') or impossible dates in csrq" in res["jzgjbxx"].message
        and "gh=T002" in res["jzgjbxx"].message
    )
    assert "jlrq" in res["zzjg"].message
    assert warehouse.execute("select csrq from raw.hr__jzgjbxx where gh='T002'").fetchone()[0] is None
    assert warehouse.execute("select csrq from raw.hr__jzgjbxx where gh='T001'").fetchone()[0] == "1980-05-06"


@pytest.mark.parametrize(("system", "kind"), BACKENDS)
def test_missing_or_retyped_column_fails_that_table_only(warehouse, source_factory, system, kind):
    rows = FIXTURES[system][0]
    src = source_factory(system, kind)
    src.exec(rows)
    if system == "academic":
        drop, col = "alter table byqx drop column dwmc", "dwmc"
        retype_table = "kcxx"
        retype = {"postgres": "alter table kcxx alter column xf type varchar(10)", "sqlite": None}[kind]
    else:
        drop, col = "alter table wpjs drop column prjsrq", "prjsrq"
        retype_table = "gzff"
        retype = {"mysql": "alter table gzff modify column ffny date", "sqlite": None}[kind]
    src.exec(drop)
    if retype:
        src.exec(retype)
    res = {r.table: r for r in extract_database(warehouse, system, src.settings, mode="full", run_id="r1")}
    dropped_table = "byqx" if system == "academic" else "wpjs"
    assert res[dropped_table].status == "failed"
    assert dropped_table in res[dropped_table].message and col in res[dropped_table].message
    if retype:
        assert res[retype_table].status == "failed"
        assert "changed type" in res[retype_table].message
    ok = [r for r in res.values() if r.status == "ok"]
    assert len(ok) == len(res) - 1 - (1 if retype else 0)
    logged = warehouse.execute("select count(*) from raw._load_log where status='failed'").fetchone()[0]
    assert logged == len(res) - len(ok)


@pytest.mark.parametrize(
    "kind",
    [pytest.param("postgres", marks=pytest.mark.postgres), pytest.param("mysql", marks=pytest.mark.mysql)],
)
def test_source_down_gives_a_clear_error_without_the_password(warehouse, monkeypatch, kind):
    monkeypatch.setenv("CDW_TEST_PW", "s3cr3t-Passw0rd")
    src = ServerSource(
        type=kind, host="127.0.0.1", port=1, user="etl", database="jw", password_env="CDW_TEST_PW"
    )
    with pytest.raises(SourceUnavailable) as err:
        extract_database(
            warehouse, "academic", src, mode="full", run_id="r1", connect_attempts=3, backoff_s=0.01
        )
    msg = str(err.value)
    assert "academic" in msg and "127.0.0.1:1" in msg and "3 attempts" in msg
    assert "s3cr3t" not in msg and "password" not in msg.lower().replace("password=***", "")


def test_missing_sqlite_file_is_source_down(warehouse, tmp_path):
    with pytest.raises(SourceUnavailable, match="hr: cannot reach the source sqlite:"):
        extract_database(
            warehouse,
            "hr",
            SqliteSource(type="sqlite", path=tmp_path / "nope.sqlite"),
            mode="full",
            run_id="r1",
            connect_attempts=2,
            backoff_s=0.01,
        )


def test_null_and_duplicate_keys_are_quarantined_once(warehouse, tmp_path):
    from .conftest import DDL, sqlite_exec

    path = tmp_path / "academic.sqlite"
    ddl = (
        DDL["academic"]
        .read_text(encoding="utf-8")
        .replace("yxsh    varchar(10) primary key", "yxsh varchar(10)")
    )
    sqlite_exec(path, ddl)
    sqlite_exec(
        path,
        """insert into dm_yxs values ('01','a',null,'1','1','2026-01-05 08:00:00'),
        ('01','b',null,'1','1','2026-01-06 08:00:00'), (null,'c',null,'1','1','2026-01-05 08:00:00'),
        ('02','d',null,'1','1','2026-01-05 08:00:00');""",
    )
    src = SqliteSource(type="sqlite", path=path)
    for run in ("r1", "r2"):
        [r] = extract_database(warehouse, "academic", src, mode="full", run_id=run, tables=["dm_yxs"])
        assert (r.rows_read, r.rows_landed, r.rows_quarantined) == (4, 2, 2)
    q = warehouse.execute("select source_ref, reason from raw._quarantine order by 1").fetchall()
    assert (
        len(q) == 2
        and q[0][0] == "yxsh=01"
        and "duplicate" in q[0][1]
        and q[1] == ("yxsh=NULL", "NULL primary key")
    )
    assert warehouse.execute("select yxsmc from raw.academic__dm_yxs where yxsh='01'").fetchall() == [("b",)]
    # a steward releases them; a rerun does not bring them back, nothing is deleted
    from extractors.bookkeeping import open_quarantine, release_quarantine

    ids = [r["quarantine_id"] for r in open_quarantine(warehouse, "academic")]
    assert release_quarantine(warehouse, ids, "steward1") == 2
    extract_database(warehouse, "academic", src, mode="full", run_id="r3", tables=["dm_yxs"])
    assert open_quarantine(warehouse) == []
    assert (
        warehouse.execute("select count(*) from raw._quarantine where released_by = 'steward1'").fetchone()[0]
        == 2
    )


def test_incremental_lower_bound_uses_the_15_minute_lookback(warehouse, tmp_path):
    from .conftest import make_source

    src = make_source("sqlite", "academic", tmp_path)
    src.exec(FIXTURES["academic"][0])
    now = datetime(2026, 1, 5, 8, 5, 0)  # the source's rows are at 08:00, committed late
    extract_database(warehouse, "academic", src.settings, mode="full", run_id="r1", tables=["cjxx"], now=now)
    # a row committed late with a gxsj below the watermark but within 15 minutes of the start
    src.exec(
        "insert into cjxx values (9,'2023009','J1','K001','2023-2024-1','60',1.0,'01','0','2026-01-05 07:55:00')"
    )
    [r] = extract_database(
        warehouse,
        "academic",
        src.settings,
        mode="incremental",
        run_id="r2",
        tables=["cjxx"],
        now=now + timedelta(minutes=1),
    )
    assert r.rows_new_versions == 1


@pytest.mark.postgres
def test_postgres_tables_are_read_from_the_configured_schema_only(warehouse, pg_admin):
    """The source is attached with only its schema's catalogue: the same table name in another
    schema is not read, and a table that exists only elsewhere is 'not found' in this one."""
    from .conftest import DDL, PG_HOST, PG_PORT, PG_USER, pg_exec

    db = pg_admin()
    ddl = DDL["academic"].read_text(encoding="utf-8")
    pg_exec(db, "create schema jw;\nset search_path = jw;\n" + ddl)
    pg_exec(
        db,
        "create table public.dm_yxs (like jw.dm_yxs including all);\n"
        "insert into jw.dm_yxs values ('01', 'in jw', null, '1', '1', '2026-01-05 08:00:00');\n"
        "insert into public.dm_yxs values ('09', 'in public', null, '1', '1', '2026-01-05 08:00:00');\n"
        "alter table jw.zyxx rename to zyxx_elsewhere;\n"
        "create table public.zyxx (like jw.zyxx_elsewhere including all);",
    )
    src = ServerSource(type="postgres", host=PG_HOST, port=PG_PORT, user=PG_USER, database=db, schema="jw")
    res = {
        r.table: r
        for r in extract_database(
            warehouse, "academic", src, mode="full", run_id="r1", tables=["dm_yxs", "zyxx"]
        )
    }
    assert res["dm_yxs"].status == "ok", res["dm_yxs"].message
    assert warehouse.execute("select yxsh, yxsmc from raw.academic__dm_yxs").fetchall() == [("01", "in jw")]
    assert res["zyxx"].status == "failed"
    assert "academic.zyxx: table not found in the source" in res["zyxx"].message, res["zyxx"].message
    # the catalogue the scanner loads holds that schema alone
    from extractors.database import attach_source, detach_source

    att = attach_source(warehouse, "academic", src)
    try:
        schemas = warehouse.execute(
            "select distinct schema_name from duckdb_tables() where database_name = ?", [att.alias]
        ).fetchall()
    finally:
        detach_source(warehouse, att)
    assert schemas == [("jw",)]


def test_a_small_insert_leaves_the_connection_s_thread_count_as_it_was(warehouse, tmp_path):
    """Inserts of fewer rows than a row group run on one thread; the setting is restored after
    the load (and a load that fails before it inserts leaves it alone)."""
    from .conftest import DDL, sqlite_exec

    path = tmp_path / "academic.sqlite"
    sqlite_exec(path, DDL["academic"].read_text(encoding="utf-8"))
    sqlite_exec(path, "insert into dm_yxs values ('01','a',null,'1','1','2026-01-05 08:00:00');")
    src = SqliteSource(type="sqlite", path=path)
    warehouse.execute("SET threads = 3")
    for run in ("r1", "r2", "r3"):  # r1 straight into the empty table, r2 and r3 through the stage
        if run == "r3":
            sqlite_exec(path, "update dm_yxs set yxsmc = 'b', gxsj = '2026-01-06 08:00:00';")
        [r] = extract_database(warehouse, "academic", src, mode="incremental", run_id=run, tables=["dm_yxs"])
        assert r.status == "ok", r.message
        assert warehouse.execute("SELECT current_setting('threads')").fetchone()[0] == 3
    assert r.rows_new_versions == 1
    sqlite_exec(path, "alter table dm_yxs drop column yxsjc;")  # the next load fails (missing column)
    [r] = extract_database(warehouse, "academic", src, mode="incremental", run_id="r4", tables=["dm_yxs"])
    assert r.status == "failed"
    assert warehouse.execute("SELECT current_setting('threads')").fetchone()[0] == 3
