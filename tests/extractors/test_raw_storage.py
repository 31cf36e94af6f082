"""Raw-layer storage choices made for extraction speed, and the single-pass checks of a read."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from extractors.bookkeeping import beijing_now, get_watermark
from extractors.catalog import load_catalog
from extractors.database import extract_database
from extractors.duckdb_setup import connect
from extractors.raw_schema import create_raw_schema, db_table_ddl, distinct_text_columns
from orchestration.settings import SqliteSource


def test_distinct_text_columns_come_from_the_catalogue():
    from extractors.catalog import Column, SourceTable

    cat = load_catalog()
    assert distinct_text_columns(cat["academic"]["cjxx"]) == ["cjid", "gxsj", "_row_hash"]
    # a composite key is not hinted (its parts may repeat a lot), nor a date update column;
    # the hash always is
    composite = SourceTable(
        system="x",
        name="t",
        primary_key=("a", "b"),
        update_column="gxrq",
        columns=(
            Column("a", "varchar(4)", False),
            Column("b", "integer", False),
            Column("gxrq", "date", False),
        ),
    )
    assert distinct_text_columns(composite) == ["_row_hash"]
    assert "using compression" not in db_table_ddl(composite).split('"_run_id"')[0]
    assert '"_row_hash" UHUGEINT using compression uncompressed' in db_table_ddl(composite)
    # key and hash (scanned whole by every incremental load) uncompressed, the update column FSST
    cjxx = db_table_ddl(cat["academic"]["cjxx"])
    assert '"cjid" VARCHAR using compression uncompressed' in cjxx
    assert '"gxsj" VARCHAR using compression fsst' in cjxx
    # load metadata, one value per load: dictionary without trying FSST first
    for meta in ("_run_id", "_source", "_op"):
        assert f'"{meta}" VARCHAR using compression dictionary' in cjxx
        assert f'"{meta}" VARCHAR using compression dictionary' in db_table_ddl(composite)
    assert '"_loaded_at" TIMESTAMP,' in cjxx


def test_hinted_columns_are_stored_as_hinted_and_read_back_unchanged(tmp_path):
    con = connect(tmp_path / "wh.duckdb")
    create_raw_schema(con)
    types_before = con.execute(
        "select column_name, data_type from information_schema.columns"
        " where table_schema = 'raw' and table_name = 'academic__cjxx' order by ordinal_position"
    ).fetchall()
    assert {t for _, t in types_before} == {"VARCHAR", "TIMESTAMP", "UHUGEINT"}
    # low-cardinality values, which DuckDB would otherwise store with dictionary compression
    con.execute(
        """insert into raw.academic__cjxx (cjid, xh, gxsj, _run_id, _loaded_at, _source, _op, _row_hash)
        select (i % 3)::varchar, 'S' || (i % 3), '2026-01-0' || (1 + i % 3) || ' 08:00:00', 'r1',
               timestamp '2026-01-01', 'academic@test', 'I', (i % 3)::UHUGEINT
        from range(300000) t(i)"""
    )
    con.execute("checkpoint")
    comp = dict(
        con.execute(
            "select column_name, string_agg(distinct compression, ',' order by compression)"
            " from pragma_storage_info('raw.academic__cjxx')"
            " where segment_type in ('VARCHAR', 'UHUGEINT') group by all"
        ).fetchall()
    )
    for col in ("cjid", "_row_hash"):
        assert comp[col] == "Uncompressed", comp
    for col in ("_run_id", "_source", "_op"):
        assert comp[col] == "Dictionary", comp
    assert comp["gxsj"] == "FSST", comp
    assert comp["xh"] == "Dictionary", comp  # not hinted: DuckDB still chooses
    assert con.execute(
        "select count(*), count(distinct _row_hash), min(_row_hash), max(gxsj) from raw.academic__cjxx"
    ).fetchone() == (300000, 3, 0, "2026-01-03 08:00:00")
    con.close()


def test_watermark_and_future_count_are_of_the_rows_landed_when_duplicates_are_quarantined(
    warehouse, tmp_path
):
    from .conftest import DDL, sqlite_exec

    path = tmp_path / "academic.sqlite"
    ddl = (
        DDL["academic"]
        .read_text(encoding="utf-8")
        .replace("yxsh    varchar(10) primary key", "yxsh varchar(10)")
    )
    sqlite_exec(path, ddl)
    future = (beijing_now() + timedelta(hours=3)).strftime("%Y-%m-%d %H:%M:%S")
    # key 01 twice: the later (future) version is landed, the earlier one quarantined; the
    # quarantined row's timestamp must not become the watermark
    sqlite_exec(
        path,
        f"""insert into dm_yxs values ('01','a',null,'1','1','2026-01-06 08:00:00'),
        ('01','b',null,'1','1','{future}'), ('02','d',null,'1','1','2026-01-05 08:00:00');""",
    )
    src = SqliteSource(type="sqlite", path=path)
    for run in ("r1", "r2"):  # r1 lands straight into the empty raw table, r2 through the stage
        [r] = extract_database(warehouse, "academic", src, mode="full", run_id=run, tables=["dm_yxs"])
        assert r.status == "ok", r.message
        assert (r.rows_read, r.rows_landed, r.rows_quarantined) == (3, 2, 1)
        assert "1 rows with gxsj more than 1 hour in the future" in r.message, r.message
        assert get_watermark(warehouse, "academic", "dm_yxs") == "2026-01-05 08:00:00"
    assert warehouse.execute("select yxsh, yxsmc from raw.academic__dm_yxs order by 1").fetchall() == [
        ("01", "b"),
        ("02", "d"),
    ]


@pytest.mark.postgres
def test_duplicate_keys_are_counted_unless_postgres_declares_the_key_unique(warehouse, tmp_path, pg_admin):
    from extractors.database import _source_columns, _source_guarantees_unique_keys, attach_source

    from .conftest import make_source

    src = make_source("postgres", "academic", tmp_path, pg_admin)
    rows = """insert into dm_yxs values ('01','a',null,'1','1','2026-01-05 08:00:00'),
        ('02','d',null,'1','1','2026-01-05 08:00:00');"""
    src.exec(rows)
    table = load_catalog()["academic"]["dm_yxs"]
    s = attach_source(warehouse, "academic", src.settings)
    assert _source_guarantees_unique_keys(warehouse, s, table, dict(_source_columns(warehouse, s, "dm_yxs")))
    warehouse.execute(f"DETACH {s.alias}")

    # without its primary key the source can hold a key twice: the read is checked and quarantined
    src.exec("alter table dm_yxs drop constraint dm_yxs_pkey;")
    src.exec("insert into dm_yxs values ('01','b',null,'1','1','2026-01-06 08:00:00');")
    s = attach_source(warehouse, "academic", src.settings)
    assert not _source_guarantees_unique_keys(
        warehouse, s, table, dict(_source_columns(warehouse, s, "dm_yxs"))
    )
    warehouse.execute(f"DETACH {s.alias}")
    [r] = extract_database(warehouse, "academic", src.settings, mode="full", run_id="r1", tables=["dm_yxs"])
    assert (r.rows_read, r.rows_landed, r.rows_quarantined) == (3, 2, 1), r.message
    assert warehouse.execute("select yxsmc from raw.academic__dm_yxs where yxsh='01'").fetchall() == [("b",)]


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_row_hash_is_md5_of_the_canonical_text_as_before(warehouse, tmp_path, request, kind):
    """``_row_hash`` = md5 of the business columns' canonical text joined by chr(31), NULL as chr(0),
    the digest's 16 bytes read as a little-endian number: the same digest every version of the
    extractor wrote (as hex text before 2026-11-27), so raw tables already loaded keep matching (a
    different hash would append a new version of every row)."""
    import hashlib

    from .conftest import make_source
    from .fixtures_db import FIXTURES

    pg = request.getfixturevalue("pg_admin") if kind == "postgres" else None
    src = make_source(kind, "academic", tmp_path, pg)
    src.exec(FIXTURES["academic"][0])
    res = extract_database(warehouse, "academic", src.settings, mode="full", run_id="r1")
    assert all(r.status == "ok" for r in res), [r.message for r in res]
    checked = 0
    for table in load_catalog()["academic"].values():
        cols = ", ".join(f'"{c}"' for c in table.column_names)
        for *values, stored in warehouse.execute(
            f'select {cols}, _row_hash from raw."{table.raw_name}"'
        ).fetchall():
            text = "\x1f".join("\x00" if v is None else v for v in values)
            digest = hashlib.md5(text.encode()).digest()
            assert int.from_bytes(digest, "little") == stored, (table.name, values)
            checked += 1
    assert checked > 10


def _dm_yxs_source(tmp_path):
    from .conftest import DDL, sqlite_exec

    path = tmp_path / "academic.sqlite"
    sqlite_exec(path, DDL["academic"].read_text(encoding="utf-8"))
    return path, SqliteSource(type="sqlite", path=path)


def _versions(con, run_id):
    return con.execute(
        f"select yxsh, _op, yxsmc from raw.academic__dm_yxs where _run_id = '{run_id}' order by 1"
    ).fetchall()


def test_rows_newer_than_every_version_held_are_new_versions_and_the_rest_are_compared_by_hash(
    warehouse, tmp_path
):
    """An incremental read holds rows newer than anything landed (looked up for their operation
    only) and rows re-read at the watermark (looked up with their hash): both kinds, one read."""
    from .conftest import sqlite_exec

    path, src = _dm_yxs_source(tmp_path)
    sqlite_exec(
        path,
        """insert into dm_yxs values ('01','a',null,'1','1','2026-01-05 08:00:00'),
        ('02','b',null,'1','1','2026-01-05 08:00:00'), ('03','c',null,'1','1','2026-01-05 08:00:00'),
        ('04','d',null,'1','1','2026-01-05 07:00:00');""",
    )
    [r] = extract_database(warehouse, "academic", src, mode="full", run_id="r1", tables=["dm_yxs"])
    sqlite_exec(path, "delete from dm_yxs where yxsh = '04';")
    [r] = extract_database(warehouse, "academic", src, mode="full", run_id="r2", tables=["dm_yxs"])
    assert r.rows_deleted == 1 and _versions(warehouse, "r2") == [("04", "D", None)]
    marks = "select watermark, newest_landed from raw._watermarks where table_name = 'dm_yxs'"
    assert warehouse.execute(marks).fetchone() == ("2026-01-05 08:00:00", datetime(2026, 1, 5, 8))

    sqlite_exec(
        path,
        """update dm_yxs set yxsmc = 'a2', gxsj = '2026-01-06 09:00:00' where yxsh = '01';
        insert into dm_yxs values ('05','e',null,'1','1','2026-01-06 09:00:00'),
                                  ('04','d2',null,'1','1','2026-01-06 09:00:00');
        update dm_yxs set yxsmc = 'c2' where yxsh = '03';""",
    )
    now = datetime(2026, 1, 7, 12)
    [r] = extract_database(
        warehouse, "academic", src, mode="incremental", run_id="r3", tables=["dm_yxs"], now=now
    )
    assert r.status == "ok", r.message
    # read: every row at or after the watermark (02 re-read unchanged, 03 changed in place with
    # its timestamp kept: both compared by hash); 01, 04 and 05 are newer than anything held
    assert (r.rows_read, r.rows_new_versions) == (5, 4)
    assert _versions(warehouse, "r3") == [
        ("01", "U", "a2"),
        ("03", "U", "c2"),
        ("04", "I", "d2"),
        ("05", "I", "e"),
    ]
    assert warehouse.execute(marks).fetchone() == ("2026-01-06 09:00:00", datetime(2026, 1, 6, 9))
    # the same read again: every row is now at the watermark, compared by hash, nothing new
    [r] = extract_database(
        warehouse, "academic", src, mode="incremental", run_id="r4", tables=["dm_yxs"], now=now
    )
    assert (r.rows_read, r.rows_new_versions) == (3, 0), r.message


def test_a_warehouse_without_the_newest_landed_mark_gets_it_from_raw(warehouse, tmp_path):
    """A warehouse made before ``raw._watermarks.newest_landed`` existed: the column is added, and
    the first incremental load takes the newest timestamp from raw (here a future-dated row,
    beyond the watermark), so an unchanged row is not landed again."""
    from .conftest import sqlite_exec

    path, src = _dm_yxs_source(tmp_path)
    future = (beijing_now() + timedelta(days=30)).replace(microsecond=0)
    sqlite_exec(
        path,
        f"""insert into dm_yxs values ('01','a',null,'1','1','{future:%Y-%m-%d %H:%M:%S}'),
        ('02','b',null,'1','1','2026-01-05 08:00:00');""",
    )
    [r] = extract_database(warehouse, "academic", src, mode="full", run_id="r1", tables=["dm_yxs"])
    warehouse.execute("alter table raw._watermarks drop column newest_landed")
    create_raw_schema(warehouse)  # what every extraction does first: the column comes back, empty
    marks = "select watermark, newest_landed from raw._watermarks where table_name = 'dm_yxs'"
    assert warehouse.execute(marks).fetchone() == ("2026-01-05 08:00:00", None)
    [r] = extract_database(warehouse, "academic", src, mode="incremental", run_id="r2", tables=["dm_yxs"])
    assert r.status == "ok", r.message
    assert (r.rows_read, r.rows_new_versions) == (2, 0), r.message
    assert warehouse.execute(marks).fetchone() == ("2026-01-05 08:00:00", future)


def test_a_raw_table_with_hex_row_hashes_is_migrated_to_numbers_keeping_every_version(warehouse, tmp_path):
    """Raw tables written before 2026-11-27 hold ``_row_hash`` as md5 hex text.  ``create_raw_schema``
    rewrites them (same rows, same digests as numbers, same column order, drift columns kept), and
    the next load finds nothing changed."""
    from extractors.database import hash_expr

    from .conftest import sqlite_exec

    path, src = _dm_yxs_source(tmp_path)
    sqlite_exec(
        path,
        """insert into dm_yxs values ('01','a',null,'1','1','2026-01-05 08:00:00'),
        ('02','b','bb','1','0','2026-01-05 08:00:00');
        alter table dm_yxs add column bz varchar(20);
        update dm_yxs set bz = 'note' where yxsh = '02';""",
    )
    extract_database(warehouse, "academic", src, mode="full", run_id="r1", tables=["dm_yxs"])
    sqlite_exec(path, "update dm_yxs set yxsmc = 'a2', gxsj = '2026-01-06 08:00:00' where yxsh = '01';")
    extract_database(warehouse, "academic", src, mode="full", run_id="r2", tables=["dm_yxs"])
    table = load_catalog()["academic"]["dm_yxs"]
    raw = "raw.academic__dm_yxs"
    layout = warehouse.execute(f"select column_name, column_type from (describe {raw})").fetchall()
    before = warehouse.execute(f"select * from {raw} order by yxsh, _loaded_at").fetchall()
    assert len(before) == 3 and layout[-1] == ("bz", "VARCHAR")
    # the layout of an earlier version: the same digests as 32 hex digits
    old_hash = hash_expr(table.column_names, ["bz"]).replace("md5_number(", "md5(", 1)
    warehouse.execute(f"create table raw.old_layout as select * replace ({old_hash} as _row_hash) from {raw}")
    warehouse.execute(f"drop table {raw}")
    warehouse.execute("alter table raw.old_layout rename to academic__dm_yxs")
    assert (
        dict(warehouse.execute(f"select column_name, column_type from (describe {raw})").fetchall())[
            "_row_hash"
        ]
        == "VARCHAR"
    )

    create_raw_schema(warehouse)
    assert warehouse.execute(f"select column_name, column_type from (describe {raw})").fetchall() == layout
    assert warehouse.execute(f"select * from {raw} order by yxsh, _loaded_at").fetchall() == before
    assert warehouse.execute(
        "select distinct compression from pragma_storage_info('raw.academic__dm_yxs')"
        " where column_name = '_row_hash' and segment_type = 'UHUGEINT'"
    ).fetchall() in ([], [("Uncompressed",)])
    [r] = extract_database(warehouse, "academic", src, mode="full", run_id="r3", tables=["dm_yxs"])
    assert (r.status, r.rows_read, r.rows_new_versions, r.rows_deleted) == ("ok", 2, 0, 0), r.message
