"""DDL of the raw layer (docs/architecture.md, "The raw layer").

``create_raw_schema(con)`` creates every raw table (empty) and the bookkeeping tables;
it is idempotent and is what both the extractors and the dbt tests build on.
"""

from __future__ import annotations

import duckdb

from extractors.catalog import SourceTable, load_catalog

DB_META_COLUMNS = [
    ("_run_id", "VARCHAR"),
    ("_loaded_at", "TIMESTAMP"),
    ("_source", "VARCHAR"),
    ("_op", "VARCHAR"),
    ("_row_hash", "UHUGEINT"),
]

BUDGET_COLUMNS = [
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
LEDGER_COLUMNS = [
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
FILE_META_COLUMNS = [
    ("_file", "VARCHAR"),
    ("_period", "VARCHAR"),
    ("_version", "INTEGER"),
    ("_line_no", "INTEGER"),
    ("_checksum", "VARCHAR"),
    ("_run_id", "VARCHAR"),
    ("_loaded_at", "TIMESTAMP"),
]
BILL_COLUMNS = [
    "bill_id",
    "student_no",
    "item_code",
    "academic_year",
    "amount_due",
    "amount_waived",
    "amount_paid",
    "status",
    "paid_at",
    "updated_at",
]
BILL_META_COLUMNS = [
    ("_run_id", "VARCHAR"),
    ("_loaded_at", "TIMESTAMP"),
    ("_row_hash", "UHUGEINT"),
    ("_op", "VARCHAR"),
]

BOOKKEEPING_DDL = [
    """create table if not exists raw._load_log (
        run_id varchar, system varchar, table_name varchar, mode varchar,
        started_at timestamp, finished_at timestamp, duration_s double,
        rows_read bigint, rows_landed bigint, rows_new_versions bigint,
        rows_quarantined bigint, rows_deleted bigint, status varchar, message varchar)""",
    """create sequence if not exists raw._quarantine_seq""",
    """create table if not exists raw._quarantine (
        quarantine_id bigint default nextval('raw._quarantine_seq'), run_id varchar, system varchar,
        table_name varchar, source_ref varchar, record varchar, reason varchar,
        quarantined_at timestamp, released_at timestamp, released_by varchar)""",
    """create table if not exists raw._watermarks (
        system varchar, table_name varchar, watermark varchar, updated_at timestamp,
        newest_landed timestamp, primary key (system, table_name))""",
    """create table if not exists raw._finance_files (
        file_name varchar, kind varchar, period varchar, version integer, checksum varchar,
        status varchar, reason varchar, rows bigint, run_id varchar, loaded_at timestamp)""",
]


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


#: DuckDB storage hints for text columns whose values are (nearly) all distinct.  Without a hint
#: DuckDB tries dictionary compression on every segment first (a hash table of every distinct
#: string), which costs more CPU than the whole scan on a first load and then loses to FSST anyway
#: (bench/RESULTS.md, Extraction).  ``_row_hash`` and a single-column key are stored uncompressed:
#: they are what every incremental load scans in full (the latest version of each key read), and
#: FSST-decoding 5 M md5 strings cost more than the lookup itself; writing them uncompressed is
#: also the cheapest write.  The update column gets FSST (read only for new rows).  Values and types
#: are unchanged: readers see no difference.  (``_row_hash`` is a 128-bit number, random by nature:
#: nothing would compress it.)
DISTINCT_TEXT_COMPRESSION = "fsst"
SCANNED_TEXT_COMPRESSION = "uncompressed"
#: load metadata that holds one value per load (run id, source, operation): dictionary compression,
#: which DuckDB would pick for them anyway, without first trying FSST on every segment.  Writing 5 M
#: grade rows took 1.1 CPU-s less (16.2 -> 15.1, same file size; this machine kind, 2026-11-27).
META_TEXT_HINTS = dict.fromkeys(("_run_id", "_source", "_op"), "dictionary")


def distinct_text_columns(table: SourceTable) -> list[str]:
    """Raw columns of a database table stored with a storage hint (:func:`text_compression`):
    ``_row_hash``, a single-column primary key and a timestamp update column (catalogue type)."""
    out = []
    if len(table.primary_key) == 1:
        out.append(table.primary_key[0])
    types = {c.name: c.type.lower() for c in table.columns}
    upd = table.update_column
    if upd not in out and types.get(upd, "").startswith(("timestamp", "datetime")):
        out.append(upd)
    return [*out, "_row_hash"]


def text_compression(table: SourceTable) -> dict[str, str]:
    """Column -> DuckDB compression method of the hinted raw columns of ``table``."""
    scanned = {"_row_hash", *(table.primary_key if len(table.primary_key) == 1 else ())}
    return {
        **{
            c: SCANNED_TEXT_COMPRESSION if c in scanned else DISTINCT_TEXT_COMPRESSION
            for c in distinct_text_columns(table)
        },
        **META_TEXT_HINTS,
    }


def _column_ddl(name: str, typ: str, hints: dict[str, str]) -> str:
    """One column of a raw table's DDL, with its storage hint if ``hints`` has one."""
    hint = f" using compression {hints[name]}" if name in hints else ""
    return f"{_q(name)} {typ}{hint}"


def db_table_ddl(table: SourceTable) -> str:
    hinted = text_compression(table)
    cols = [_column_ddl(c, "VARCHAR", hinted) for c in table.column_names]
    cols += [_column_ddl(n, t, hinted) for n, t in DB_META_COLUMNS]
    return f"create table if not exists raw.{_q(table.raw_name)} ({', '.join(cols)})"


def file_table_ddl(name: str, columns: list[str]) -> str:
    cols = [f"{_q(c)} VARCHAR" for c in columns] + [f"{_q(n)} {t}" for n, t in FILE_META_COLUMNS]
    return f"create table if not exists raw.{_q(name)} ({', '.join(cols)})"


def bills_table_ddl() -> str:
    hinted = {"bill_id": SCANNED_TEXT_COMPRESSION, "_row_hash": SCANNED_TEXT_COMPRESSION, **META_TEXT_HINTS}
    cols = [_column_ddl(c, "VARCHAR", hinted) for c in BILL_COLUMNS]
    cols += [_column_ddl(n, t, hinted) for n, t in BILL_META_COLUMNS]
    return f"create table if not exists raw.payment__bills ({', '.join(cols)})"


def _raw_tables() -> list[tuple[str, str, list[str]]]:
    """(name, DDL, column names) of every raw table."""
    out = [
        (t.raw_name, db_table_ddl(t), [*t.column_names, *(n for n, _ in DB_META_COLUMNS)])
        for tables in load_catalog().values()
        for t in tables.values()
    ]
    for name, columns in (("finance__budget", BUDGET_COLUMNS), ("finance__ledger", LEDGER_COLUMNS)):
        out.append((name, file_table_ddl(name, columns), [*columns, *(n for n, _ in FILE_META_COLUMNS)]))
    out.append(("payment__bills", bills_table_ddl(), [*BILL_COLUMNS, *(n for n, _ in BILL_META_COLUMNS)]))
    return out


#: ``_row_hash`` as written before 2026-11-27: the md5 digest as 32 hex digits (VARCHAR).  The same
#: digest as a number, as ``md5_number`` gives it (the 16 bytes read little-endian):
HEX_MD5_TO_NUMBER = (
    "list_reduce([(('0x' || substr({col}, 2 * i + 1, 2))::UTINYINT)::UHUGEINT << (8 * i)::UHUGEINT"
    " for i in range(16)], (a, b) -> a | b)"
)


def _migrate_row_hash(
    con: duckdb.DuckDBPyConnection, name: str, ddl: str, planned: list[str], columns: list[tuple[str, str]]
) -> None:
    """Rewrite a raw table whose ``_row_hash`` is md5 hex text into the current layout (the digest as
    a UHUGEINT): same rows, same digests, columns in the same order, storage hints as new tables
    get them.  One transaction: the table is rebuilt and swapped (DuckDB cannot change the column's
    type in place with this expression)."""
    tmp = f"raw.{_q(name + '__migrating')}"
    create = ddl.replace(f"create table if not exists raw.{_q(name)}", f"create table {tmp}")
    sel = ", ".join(
        f"{HEX_MD5_TO_NUMBER.format(col=_q(c))} AS {_q(c)}" if c == "_row_hash" else _q(c) for c, _ in columns
    )
    con.execute("begin transaction")
    try:
        con.execute(f"drop table if exists {tmp}")
        con.execute(create)
        for c, t in columns:
            if c not in planned:  # a source column landed since (schema drift)
                con.execute(f"alter table {tmp} add column {_q(c)} {t}")
        names = ", ".join(_q(c) for c, _ in columns)
        con.execute(f"insert into {tmp} ({names}) select {sel} from raw.{_q(name)}")
        con.execute(f"drop table raw.{_q(name)}")
        con.execute(f"alter table {tmp} rename to {_q(name)}")
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise


def create_raw_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create the raw schema, every raw table and the bookkeeping tables (idempotent).

    Only what is missing is created (one catalogue query instead of a statement per table: every
    extraction calls this).  Migrations of a warehouse made by an earlier version run here too."""
    con.execute("create schema if not exists raw")
    have: dict[str, list[tuple[str, str]]] = {
        t: [tuple(c) for c in cs]
        for t, cs in con.execute(
            "select table_name, list((column_name, data_type) order by column_index) from duckdb_columns()"
            " where database_name = current_database() and schema_name = 'raw' group by table_name"
        ).fetchall()
    }
    for name, ddl, planned in _raw_tables():
        if name not in have:
            con.execute(ddl)
        elif dict(have[name]).get("_row_hash") == "VARCHAR":
            # 2026-11-27: _row_hash from md5 hex text to the digest as a number
            _migrate_row_hash(con, name, ddl, planned, have[name])
    for ddl in BOOKKEEPING_DDL:  # "if not exists": a handful of catalogue lookups
        con.execute(ddl)
    if "_watermarks" in have and "newest_landed" not in dict(have["_watermarks"]):
        # 2026-11: the newest update timestamp held per table (extractors.database)
        con.execute("alter table raw._watermarks add column newest_landed timestamp")
