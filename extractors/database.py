"""Database extraction: PostgreSQL, MySQL/MariaDB and SQLite into ``raw.<system>__<table>``.

One code path for the three engines, through DuckDB's own scanners (``ATTACH ... (TYPE
postgres|mysql|sqlite, READ_ONLY)`` on the warehouse connection; the extensions load offline, see
``duckdb_setup``).  Rows go from the scanner into DuckDB tables: never through Python or pandas.

Per table (from ``data_contracts/source_tables.yml``):

1. read the source (all rows, or ``update_col >= min(watermark, start - 15 min)``) into a temp
   stage, every column as canonical VARCHAR text plus ``_row_hash`` (md5 of the business columns);
2. quarantine rows that cannot be landed (NULL key, duplicate key within one read);
3. in one transaction: append a version for every key that is new (``_op = 'I'``) or whose hash
   differs from the latest version held (``'U'``; a row updated later than every version held
   differs by construction: only its key is looked up); append ``'D'`` tombstones for keys that the
   source no longer has (full key comparison, on full runs by default); advance the watermark
   (largest update timestamp landed, never one more than an hour in the future); write the load log.

MySQL zero dates are read as text on the MySQL side (``CAST(col AS CHAR)`` inside ``mysql_query``;
the scanner itself would turn them into NULL silently) and land as NULL, reported in the load log.
"""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

import duckdb

from extractors.bookkeeping import (
    Progress,
    TableLoadResult,
    beijing_now,
    get_load_marks,
    incremental_lower_bound,
    insert_quarantine_from,
    lit,
    q,
    set_load_marks,
    ts_lit,
    write_load_log,
)
from extractors.catalog import SourceTable, load_catalog
from extractors.raw_schema import create_raw_schema
from orchestration.settings import ServerSource, SqliteSource

TS_FMT = "%Y-%m-%d %H:%M:%S"
FUTURE_TOLERANCE = timedelta(hours=1)
INCREMENTAL_LAG = timedelta(minutes=15)
#: DuckDB memory limit while extracting (temp stages spill to disk beyond it); restored afterwards
EXTRACT_MEMORY_LIMIT = "1GB"
#: fewer rows than one DuckDB row group: such an insert into raw runs on one thread.  In parallel,
#: each thread first fills a collection of its own, and the collections are then merged into the
#: table's transaction storage, a second copy: 50,000 grade rows took 63-89 ms on two threads and
#: 32-33 ms on one (this machine kind, 2026-11-27)
SERIAL_INSERT_ROWS = 122_880
_SEP = "chr(31)"


class SourceUnavailable(RuntimeError):
    """The source database could not be reached after bounded retries (message names system and host)."""


class SchemaDriftError(RuntimeError):
    """A catalogue column is missing from the source or has changed type."""


# -- type families --------------------------------------------------------------------------------


def catalog_family(cat_type: str) -> str:
    t = cat_type.lower()
    if t.startswith(("varchar", "char", "text", "character")):
        return "text"
    if t.startswith(("smallint", "integer", "int", "bigint", "tinyint")):
        return "integer"
    if t.startswith(("numeric", "decimal")):
        return "decimal"
    if t.startswith(("timestamp", "datetime")):
        return "timestamp"
    if t.startswith("date"):
        return "date"
    return "text"


def duck_family(duck_type: str) -> str:
    t = duck_type.upper()
    if t.startswith("TIMESTAMP"):
        return "timestamp"
    if t == "DATE":
        return "date"
    if t.startswith("DECIMAL") or t in ("DOUBLE", "FLOAT", "REAL"):
        return "decimal"
    if t in (
        "TINYINT",
        "SMALLINT",
        "INTEGER",
        "BIGINT",
        "HUGEINT",
        "UTINYINT",
        "USMALLINT",
        "UINTEGER",
        "UBIGINT",
        "UHUGEINT",
        "BOOLEAN",
    ):
        return "integer"
    if t in ("VARCHAR", "BLOB", "UUID") or t.startswith("ENUM"):
        return "text"
    return "other"


def compatible(cat_type: str, duck_type: str) -> bool:
    """Is the source column (as DuckDB sees it) still of the catalogue's kind?"""
    cf, df = catalog_family(cat_type), duck_family(duck_type)
    if cf == df:
        return True
    # numbers may widen (integer <-> decimal); everything else is a retype
    return {cf, df} <= {"integer", "decimal"}


def _decimal_spec(cat_type: str) -> str | None:
    m = re.match(r"\s*(?:numeric|decimal)\s*\(\s*(\d+)\s*(?:,\s*(\d+))?\s*\)", cat_type, re.I)
    if not m:
        return None
    return f"DECIMAL({m.group(1)},{m.group(2) or 0})"


def canonical_expr(expr: str, duck_type: str, cat_type: str | None, *, zero_date: str | None = None) -> str:
    """SQL turning a source column into the raw layer's canonical VARCHAR text.

    ``zero_date``: ``'mysql'`` for MySQL date/datetime columns read as text (zero and impossible
    dates become NULL), ``'sqlite'`` for SQLite date columns (``'0000-00-00'`` becomes NULL)."""
    t = duck_type.upper()
    fam = catalog_family(cat_type) if cat_type else None
    dec = _decimal_spec(cat_type) if cat_type else None
    if t.startswith("TIMESTAMP"):
        return f"strftime({expr}, '{TS_FMT}')"
    if t == "DATE":
        return f"strftime({expr}, '%Y-%m-%d')"
    if t in ("DOUBLE", "FLOAT", "REAL"):
        if dec:
            return f"coalesce(try_cast({expr} AS {dec})::VARCHAR, {expr}::VARCHAR)"
        return f"CAST({expr} AS VARCHAR)"
    if t == "VARCHAR":
        if zero_date == "sqlite" and fam == "date":
            return (
                f"CASE WHEN {expr} LIKE '0000-00-00%' THEN NULL"
                f" ELSE coalesce(strftime(try_cast({expr} AS DATE), '%Y-%m-%d'), {expr}) END"
            )
        if zero_date == "mysql" and fam in ("timestamp", "date"):
            # MySQL zero dates ('0000-00-00...') and other impossible dates mean "unknown": NULL
            target, fmt = ("TIMESTAMP", TS_FMT) if fam == "timestamp" else ("DATE", "%Y-%m-%d")
            return f"strftime(try_cast({expr} AS {target}), '{fmt}')"
        if fam == "timestamp":
            return f"coalesce(strftime(try_cast({expr} AS TIMESTAMP), '{TS_FMT}'), {expr})"
        if fam == "date":
            return f"coalesce(strftime(try_cast({expr} AS DATE), '%Y-%m-%d'), {expr})"
        if fam == "decimal" and dec:
            return f"coalesce(try_cast({expr} AS {dec})::VARCHAR, {expr})"
        return expr
    return f"CAST({expr} AS VARCHAR)"


def hash_expr(columns: Sequence[str], extra: Sequence[str] = (), prefix: str = "") -> str:
    """md5 over the business columns (catalogue order); drift columns count only when not NULL, so
    a new, empty source column does not make a new version of every row.

    The digest is kept as a 128-bit number (``md5_number``: its 16 bytes read little-endian), not
    as 32 hex digits: half the bytes to write on a first load and to read on every lookup."""
    parts = [f"coalesce({prefix}{q(c)}, chr(0))" for c in columns]
    if not extra:
        # no part is NULL: concat with the separator between the parts is the same text as
        # concat_ws, built a little faster (the hash must stay the same across versions)
        return f"md5_number(concat({f', {_SEP}, '.join(parts)}))"
    parts += [
        f"CASE WHEN {prefix}{q(c)} IS NOT NULL THEN {lit(c + '=')} || {prefix}{q(c)} END" for c in extra
    ]
    return f"md5_number(concat_ws({_SEP}, {', '.join(parts)}))"


# -- the source -----------------------------------------------------------------------------------


@dataclass
class _Source:
    system: str
    kind: Literal["postgres", "mysql", "sqlite"]
    alias: str
    schema: str | None
    label: str  # log-safe description

    def table_ref(self, table: str) -> str:
        if self.kind == "postgres":
            return f"{q(self.alias)}.{q(self.schema or 'public')}.{q(table)}"
        return f"{q(self.alias)}.{q(table)}"


def describe_source(source: SqliteSource | ServerSource) -> str:
    if isinstance(source, ServerSource):
        return source.describe()
    return f"sqlite:{source.path}"


def _scrub(text: str, source: SqliteSource | ServerSource) -> str:
    if isinstance(source, ServerSource):
        pw = source.password()
        if pw:
            text = text.replace(pw, "***")
        text = re.sub(r"password=\S+", "password=***", text)
        text = text.replace(source.attach_string(), source.describe())
    return text


def attach_source(
    con: duckdb.DuckDBPyConnection,
    system: str,
    source: SqliteSource | ServerSource,
    *,
    attempts: int = 4,
    backoff_s: float = 0.5,
) -> _Source:
    """ATTACH the source read-only, with bounded retries and exponential back-off."""
    alias = f"src_{system}"
    label = describe_source(source)
    with contextlib.suppress(duckdb.Error):
        con.execute(f"DETACH DATABASE IF EXISTS {q(alias)}")
    if isinstance(source, SqliteSource):
        kind: Literal["postgres", "mysql", "sqlite"] = "sqlite"
        conn_str = str(source.path)
        schema = None
    else:
        kind = source.type
        conn_str = source.attach_string()
        schema = source.schema_ or ("public" if kind == "postgres" else None)
    last = ""
    for attempt in range(max(1, attempts)):
        try:
            if kind == "sqlite" and not source.path.is_file():  # type: ignore[union-attr]
                raise FileNotFoundError(f"no such file: {source.path}")  # type: ignore[union-attr]
            # PostgreSQL: only the one schema's catalogue is read (the scanner otherwise loads every
            # schema's tables, columns, constraints and indexes when a table is first named)
            only = f", SCHEMA {lit(schema)}" if kind == "postgres" else ""
            con.execute(f"ATTACH {lit(conn_str)} AS {q(alias)} (TYPE {kind}, READ_ONLY{only})")
            return _Source(system, kind, alias, schema, label)
        except (duckdb.Error, OSError) as exc:
            last = _scrub(
                str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__, source
            )
            if attempt + 1 < attempts:
                time.sleep(backoff_s * (2**attempt))
    raise SourceUnavailable(
        f"{system}: cannot reach the source {label} after {max(1, attempts)} attempts: {last}"
    )


def detach_source(con: duckdb.DuckDBPyConnection, src: _Source) -> None:
    with contextlib.suppress(duckdb.Error):
        con.execute(f"DETACH DATABASE IF EXISTS {q(src.alias)}")


def _source_columns(con: duckdb.DuckDBPyConnection, src: _Source, table: str) -> list[tuple[str, str]]:
    if src.kind == "sqlite":
        con.execute("SET sqlite_all_varchar = false")
    try:
        rows = con.execute(f"DESCRIBE {src.table_ref(table)}").fetchall()
    except duckdb.Error as exc:
        raise SchemaDriftError(
            f"{src.system}.{table}: table not found in the source {src.label}: {str(exc).splitlines()[0]}"
        ) from None
    return [(r[0], r[1]) for r in rows]


def _source_guarantees_unique_keys(
    con: duckdb.DuckDBPyConnection, src: _Source, table: SourceTable, src_types: dict[str, str]
) -> bool:
    """Can one read hold the same key twice?  Not when the source is PostgreSQL (the scanner's
    parallel connections share one exported snapshot, so a read is consistent), it declares a
    PRIMARY KEY or UNIQUE constraint on (a subset of) the catalogue key, and every key column is an
    integer or text column (their canonical text is one-to-one).  Then the duplicate-key count of
    a read, a hash aggregate over every key read, can be skipped: it could only find nothing."""
    if src.kind != "postgres":
        return False
    if any(duck_family(src_types.get(k, "")) not in ("integer", "text") for k in table.primary_key):
        return False
    try:
        rows = con.execute(
            "SELECT constraint_column_names FROM duckdb_constraints()"
            f" WHERE database_name = {lit(src.alias)} AND schema_name = {lit(src.schema or 'public')}"
            f" AND table_name = {lit(table.name)} AND constraint_type IN ('PRIMARY KEY', 'UNIQUE')"
        ).fetchall()
    except duckdb.Error:
        return False
    return any(cols and set(cols) <= set(table.primary_key) for (cols,) in rows)


# -- the extraction -------------------------------------------------------------------------------


@dataclass
class _Plan:
    select_sql: str  # SELECT producing canonical columns + _row_hash (+ _zero_dates)
    keys_sql: str  # SELECT of the key columns only (canonical)
    columns: list[str]  # catalogue columns
    extra: list[str]  # drift columns (source has, catalogue does not)
    zero_date_cols: list[str]


def _plan(
    src: _Source, table: SourceTable, src_cols: list[tuple[str, str]], lower_bound: str | None
) -> _Plan:
    src_types = {name: typ for name, typ in src_cols}
    cat_types = {c.name: c.type for c in table.columns}
    problems = []
    for c in table.columns:
        if c.name not in src_types:
            problems.append(f"column {c.name} is missing from the source")
        elif not compatible(c.type, src_types[c.name]):
            problems.append(f"column {c.name} changed type: catalogue {c.type}, source {src_types[c.name]}")
    if problems:
        raise SchemaDriftError(f"{src.system}.{table.name}: " + "; ".join(problems))
    extra = [n for n, _ in src_cols if n not in cat_types]
    columns = table.column_names
    wanted = columns + extra
    zero_date_cols: list[str] = []
    upd = table.update_column

    if src.kind == "mysql":

        def my_q(n: str) -> str:
            return "`" + n.replace("`", "``") + "`"

        inner_cols = []
        eff_types: dict[str, str] = {}
        for n in wanted:
            fam = duck_family(src_types[n])
            if fam in ("date", "timestamp"):
                inner_cols.append(f"CAST({my_q(n)} AS CHAR) AS {my_q(n)}")
                eff_types[n] = "VARCHAR"
                zero_date_cols.append(n)
            else:
                inner_cols.append(my_q(n))
                eff_types[n] = src_types[n]
        where = f" WHERE {my_q(upd)} >= '{lower_bound}'" if lower_bound else ""
        my_sql = f"SELECT {', '.join(inner_cols)} FROM {my_q(table.name)}{where}"
        relation = f"mysql_query({lit(src.alias)}, {lit(my_sql)})"
        key_sql_my = f"SELECT {', '.join(my_q(k) for k in table.primary_key)} FROM {my_q(table.name)}"
        key_relation = f"mysql_query({lit(src.alias)}, {lit(key_sql_my)})"
        filter_sql = ""
    else:
        eff_types = {n: ("VARCHAR" if src.kind == "sqlite" else src_types[n]) for n in wanted}
        relation = src.table_ref(table.name)
        key_relation = relation
        filter_sql = ""
        if lower_bound:
            if duck_family(eff_types[upd]) == "timestamp":
                filter_sql = f" WHERE {q(upd)} >= TIMESTAMP {lit(lower_bound)}"
            elif duck_family(eff_types[upd]) == "date":
                filter_sql = f" WHERE {q(upd)} >= DATE {lit(lower_bound[:10])}"
            else:
                filter_sql = f" WHERE {q(upd)} >= {lit(lower_bound)}"

    if src.kind == "sqlite":
        # the demo's SQLite copy of a MySQL system may hold zero dates too: same rule, same report
        zero_date_cols = [n for n in wanted if catalog_family(cat_types.get(n, "text")) == "date"]
    zmode = "mysql" if src.kind == "mysql" else "sqlite"
    canon = {
        n: canonical_expr(
            q(n), eff_types[n], cat_types.get(n), zero_date=zmode if n in zero_date_cols else None
        )
        for n in wanted
    }
    canon_cols = ", ".join(f"{canon[n]} AS {q(n)}" for n in wanted)
    zd = ""
    if zero_date_cols:

        def flag(n: str) -> str:
            if src.kind == "sqlite":
                return f"CASE WHEN {q(n)} LIKE '0000-00-00%' THEN {lit(n)} END"
            target = "TIMESTAMP" if catalog_family(cat_types.get(n, "date")) == "timestamp" else "DATE"
            return f"CASE WHEN {q(n)} IS NOT NULL AND try_cast({q(n)} AS {target}) IS NULL THEN {lit(n)} END"

        flags = ", ".join(flag(n) for n in zero_date_cols)
        zd = f", concat_ws(',', {flags}) AS _zero_dates"
    inner = f"SELECT {canon_cols}{zd} FROM {relation}{filter_sql}"
    outer_cols = ", ".join(q(n) for n in wanted)
    zd_out = ", _zero_dates" if zero_date_cols else ""
    select_sql = f"SELECT {outer_cols}, {hash_expr(columns, extra)} AS _row_hash{zd_out} FROM ({inner})"
    key_canon = ", ".join(
        f"{canonical_expr(q(k), eff_types[k] if src.kind != 'mysql' else src_types[k], cat_types.get(k))} AS {q(k)}"
        for k in table.primary_key
    )
    keys_sql = f"SELECT {key_canon} FROM {key_relation}"
    return _Plan(select_sql, keys_sql, columns, extra, zero_date_cols)


def _key_text(keys: Sequence[str], prefix: str = "") -> str:
    return " || ',' || ".join(f"{lit(k + '=')} || coalesce({prefix}{q(k)}, 'NULL')" for k in keys)


def _raw_columns(con: duckdb.DuckDBPyConnection, raw_name: str) -> list[str]:
    return [
        r[0]
        for r in con.execute(
            "select column_name from information_schema.columns where table_schema = 'raw'"
            f" and table_name = {lit(raw_name)} order by ordinal_position"
        ).fetchall()
    ]


def _setting_value(value: object) -> str:
    """A DuckDB setting's value as ``SET`` takes it (``current_setting`` gives bools and ints)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value) if isinstance(value, int) else lit(str(value))


@contextlib.contextmanager
def _setting(con: duckdb.DuckDBPyConnection, name: str, value: object) -> Iterator[None]:
    """``SET name = value`` for the statements inside; the previous value is restored after,
    also when one of them fails."""
    before = con.execute(f"SELECT current_setting({lit(name)})").fetchone()[0]
    con.execute(f"SET {name} = {_setting_value(value)}")
    try:
        yield
    finally:
        con.execute(f"SET {name} = {_setting_value(before)}")


def _with_sqlite_text(con: duckdb.DuckDBPyConnection, src: _Source, sql: str) -> duckdb.DuckDBPyConnection:
    """Run ``sql``; for SQLite, extract_table has set ``sqlite_all_varchar`` (every column read as stored)."""
    return con.execute(sql)


def extract_table(
    con: duckdb.DuckDBPyConnection,
    src: _Source,
    table: SourceTable,
    *,
    mode: str,
    run_id: str,
    detect_deletes: bool,
    now: datetime | None = None,
    progress: Progress | None = None,
) -> TableLoadResult:
    """Extract one table (see module docstring).  Raises on failure; the caller logs it.

    A full run into an empty raw table (the first load) goes straight from the scanner into raw in
    one statement; otherwise the read lands in a temp stage that is compared with raw."""
    start = now or beijing_now()
    res = TableLoadResult(
        system=src.system, table=table.name, mode=mode, run_id=run_id, started_at=beijing_now()
    )
    raw = f"raw.{q(table.raw_name)}"
    keys = list(table.primary_key)
    upd = table.update_column
    stage = f"_stage_{src.system}_{table.name}"
    src_keys = f"_keys_{src.system}_{table.name}"
    old_wm, old_newest = get_load_marks(con, src.system, table.name)
    lower = incremental_lower_bound(old_wm, start, INCREMENTAL_LAG) if mode == "incremental" else None
    src_cols = _source_columns(con, src, table.name)
    plan = _plan(src, table, src_cols, lower)
    # whether the duplicate-key count can be skipped matters for whole-table reads; a read since
    # the watermark is small, and counting is then cheaper than asking the source's catalogue
    keys_unique = lower is None and _source_guarantees_unique_keys(con, src, table, dict(src_cols))
    business = plan.columns + plan.extra
    ins_cols = ", ".join(q(c) for c in business)
    loaded_at = beijing_now()
    meta = f"{lit(run_id)}, {ts_lit(loaded_at)}, {lit(f'{src.system}@{src.label}')}"
    key_match = " AND ".join(f"s.{q(k)} = l.{q(k)}" for k in keys)
    key_null = " OR ".join(f"{q(k)} IS NULL" for k in keys)
    key_list = ", ".join(q(k) for k in keys)
    key_row = q(keys[0]) if len(keys) == 1 else f"({key_list})"
    record_json = "to_json(struct_pack(" + ", ".join(f"{q(c)} := {q(c)}" for c in business) + "))"
    raw_empty = con.execute(f"SELECT NOT EXISTS (SELECT 1 FROM {raw})").fetchone()[0]
    direct = mode == "full" and raw_empty and not plan.zero_date_cols
    if progress:
        progress(src.system, table.name, f"reading {'since ' + lower if lower else 'all rows'}")

    order_setting = con.execute("SELECT current_setting('preserve_insertion_order')").fetchone()[0]
    con.execute("SET preserve_insertion_order = false")
    if src.kind == "sqlite":
        con.execute("SET sqlite_all_varchar = true")  # read every SQLite value as stored (text)
    in_txn = False
    landed_direct = False
    memory_setting = con.execute("SELECT current_setting('memory_limit')").fetchone()[0]
    con.execute(f"SET memory_limit = '{EXTRACT_MEMORY_LIMIT}'")
    try:
        if direct:
            # first load: scanner -> raw in one statement, in autocommit (inside an explicit
            # transaction the postgres scanner reads through one connection, without parallelism);
            # if anything fails before the bookkeeping commits, these rows are deleted again.
            _add_drift_columns(con, raw, table, plan, res)
            landed_direct = True
            res.rows_read = con.execute(f"""INSERT INTO {raw} ({ins_cols}, _run_id, _loaded_at, _source, _op, _row_hash)
                SELECT {ins_cols}, {meta}, 'I', _row_hash FROM ({plan.select_sql})""").fetchone()[0]
            con.execute("BEGIN TRANSACTION")
            in_txn = True
            work = raw
        else:
            # an incremental read of PostgreSQL goes out as one query, not as one query per range of
            # pages: the server then plans the filter itself (an index on the update column, or its
            # own parallel scan) instead of scanning every page range in turn
            single_query = src.kind == "postgres" and lower is not None
            with _setting(con, "pg_use_ctid_scan", False) if single_query else contextlib.nullcontext():
                _with_sqlite_text(con, src, f"CREATE OR REPLACE TEMP TABLE {q(stage)} AS {plan.select_sql}")
            res.rows_read = con.execute(f"SELECT count(*) FROM {q(stage)}").fetchone()[0]
            work = q(stage)

        # one pass over what was read: NULL keys, duplicate keys, update timestamps more than an
        # hour in the future, the largest update timestamp landed; the statements that list or move
        # the offending rows run only when there are some
        limit = (start + FUTURE_TOLERANCE).strftime(TS_FMT)
        scan_cols = ", ".join(q(c) for c in dict.fromkeys([*keys, upd]))
        if keys_unique:
            dupes_sql = "0"
        else:
            dupes_sql = (
                f"count(*) FILTER (WHERE NOT ({key_null}))"
                f" - count(DISTINCT {key_row}) FILTER (WHERE NOT ({key_null}))"
            )
        # rows whose update timestamp is later than every version held are new versions whatever
        # their hash (the timestamp is hashed with the rest): their keys are looked up without it
        newest = old_newest
        if newest is None and not raw_empty:
            # a warehouse from before raw._watermarks.newest_landed existed: computed once
            newest = con.execute(f"SELECT max(try_cast({q(upd)} AS TIMESTAMP)) FROM {raw}").fetchone()[0]
        fresh = (
            f"try_cast({q(upd)} AS TIMESTAMP) > {ts_lit(newest)}"
            if newest is not None and upd in plan.columns
            else None
        )
        scan_sql = f"""SELECT count(*) FILTER (WHERE {key_null}), {dupes_sql},
                count(*) FILTER (WHERE _ts > TIMESTAMP {lit(limit)}),
                max({q(upd)}) FILTER (WHERE _ts <= TIMESTAMP {lit(limit)}), max(_ts),
                {f"count(*) FILTER (WHERE _ts > {ts_lit(newest)})" if fresh else "0"}
            FROM (SELECT {scan_cols}, try_cast({q(upd)} AS TIMESTAMP) AS _ts FROM {work})"""
        n_null, n_dupe_rows, n_future, wm_max, ts_max, n_fresh = con.execute(scan_sql).fetchone()

        # rows that cannot be landed: NULL key, duplicate key within this read (the latest is kept)
        con.execute(
            "CREATE OR REPLACE TEMP TABLE _q_rows (source_ref VARCHAR, record VARCHAR, reason VARCHAR)"
        )
        if n_null:
            con.execute(
                f"INSERT INTO _q_rows SELECT {_key_text(keys)}, {record_json}, 'NULL primary key'"
                f" FROM {work} WHERE {key_null}"
            )
            con.execute(f"DELETE FROM {work} WHERE {key_null}")
        if n_dupe_rows:
            con.execute(f"""CREATE OR REPLACE TEMP TABLE _dupes AS SELECT rowid AS _rid, {_key_text(keys)} AS source_ref,
                    {record_json} AS record FROM (
                    SELECT rowid, *, row_number() OVER (PARTITION BY {key_list} ORDER BY {q(upd)} DESC,
                                                        _row_hash DESC) AS _rn
                    FROM {work}) WHERE _rn > 1""")
            con.execute(
                "INSERT INTO _q_rows SELECT source_ref, record,"
                " 'duplicate primary key in one read (a later version of the key was landed)' FROM _dupes"
            )
            con.execute(f"DELETE FROM {work} WHERE rowid IN (SELECT _rid FROM _dupes)")
            con.execute("DROP TABLE _dupes")
        res.rows_quarantined = n_null + n_dupe_rows
        res.rows_landed = res.rows_read - res.rows_quarantined
        if res.rows_quarantined:
            res.note(f"{res.rows_quarantined} rows quarantined (NULL or duplicate key)")
            # the future/watermark figures are of the rows that stay
            _, _, n_future, wm_max, ts_max, n_fresh = con.execute(scan_sql).fetchone()

        # defects reported: future update timestamps, zero dates
        if n_future:
            fut_keys = con.execute(
                f"SELECT list({_key_text(keys)} ORDER BY {q(upd)} DESC)[1:5] FROM {work}"
                f" WHERE try_cast({q(upd)} AS TIMESTAMP) > TIMESTAMP {lit(limit)}"
            ).fetchone()[0]
            res.note(
                f"{n_future} rows with {upd} more than 1 hour in the future (defect; landed, watermark not moved):"
                f" {', '.join(fut_keys)}"
            )
        if plan.zero_date_cols:
            zrows = con.execute(
                f"SELECT c, count(*), list(k)[1:5] FROM (SELECT unnest(string_split(_zero_dates, ',')) AS c,"
                f" {_key_text(keys)} AS k FROM {work} WHERE _zero_dates <> '') GROUP BY c ORDER BY c"
            ).fetchall()
            for col, n, ks in zrows:
                res.note(
                    f"{n} zero dates ('0000-00-00') or impossible dates in {col} landed as NULL (defect):"
                    f" {', '.join(ks)}"
                )
            con.execute(f"ALTER TABLE {work} DROP COLUMN _zero_dates")
        new_wm = max(filter(None, [old_wm, wm_max]), default=None)
        new_newest = max(filter(None, [newest, ts_max]), default=None)

        if direct:
            res.rows_new_versions = res.rows_landed
        else:
            # deletes: full key comparison
            deletes_from: str | None = None
            if detect_deletes:
                if mode == "full":
                    deletes_from = q(stage)
                else:
                    _with_sqlite_text(
                        con, src, f"CREATE OR REPLACE TEMP TABLE {q(src_keys)} AS {plan.keys_sql}"
                    )
                    deletes_from = q(src_keys)
            con.execute("BEGIN TRANSACTION")
            in_txn = True
            _add_drift_columns(con, raw, table, plan, res)

            # the latest version held per key: of every key when deletes are checked, else of the
            # keys in this read; its hash only where it can decide (h NULL: a new version anyway)
            def latest(scope: str, with_hash: bool) -> str:
                h = "arg_max(_row_hash, _loaded_at)" if with_hash else "NULL::UHUGEINT"
                return (
                    f"SELECT {key_list}, {h} AS h, arg_max(_op, _loaded_at) AS op"
                    f" FROM {raw}{scope} GROUP BY {key_list}"
                )

            def in_read(where: str) -> str:
                row = f"({key_list})" if len(keys) > 1 else key_list
                return f" WHERE {row} IN (SELECT {row} FROM {q(stage)} WHERE {where})"

            if deletes_from:
                parts = [latest("", True)]
            elif not fresh or n_fresh == 0:
                parts = [latest(in_read("true"), True)]
            else:
                parts = [latest(in_read(fresh), False)]
                if n_fresh < res.rows_landed:
                    parts.append(latest(in_read(f"NOT coalesce({fresh}, false)"), True))
            con.execute(f"CREATE OR REPLACE TEMP TABLE _latest AS {parts[0]}")
            for part in parts[1:]:
                con.execute(f"INSERT INTO _latest {part}")
            sel_cols = ", ".join(f"s.{q(c)}" for c in business)
            serial = res.rows_landed < SERIAL_INSERT_ROWS
            with _setting(con, "threads", 1) if serial else contextlib.nullcontext():
                res.rows_new_versions = con.execute(f"""INSERT INTO {raw} ({ins_cols}, _run_id, _loaded_at, _source, _op, _row_hash)
                    SELECT {sel_cols}, {meta}, CASE WHEN l.op IS NULL OR l.op = 'D' THEN 'I' ELSE 'U' END, s._row_hash
                    FROM {q(stage)} s LEFT JOIN _latest l ON {key_match}
                    WHERE l.op IS NULL OR l.op = 'D' OR l.h IS DISTINCT FROM s._row_hash""").fetchone()[0]
            if deletes_from:
                tomb_hash = hash_expr(plan.columns, ())
                null_cols = ", ".join(f"NULL::VARCHAR AS {q(c)}" for c in plan.columns if c not in keys)
                tomb_sel = ", ".join(q(c) for c in plan.columns)
                res.rows_deleted = con.execute(
                    f"""INSERT INTO {raw} ({tomb_sel}, _run_id, _loaded_at, _source, _op, _row_hash)
                    SELECT {tomb_sel}, {meta}, 'D', {tomb_hash} FROM (
                        SELECT {", ".join("l." + q(k) for k in keys)}{", " + null_cols if null_cols else ""}
                        FROM _latest l ANTI JOIN {deletes_from} s ON {key_match}
                        WHERE l.op <> 'D')""",
                ).fetchone()[0]
                if res.rows_deleted:
                    res.note(f"{res.rows_deleted} rows deleted at the source (tombstones written)")
        if res.rows_quarantined:
            insert_quarantine_from(
                con, "_q_rows", run_id=run_id, system=src.system, table=table.name, at=loaded_at
            )
        if (new_wm and new_wm != old_wm) or new_newest != old_newest:
            set_load_marks(con, src.system, table.name, new_wm, new_newest, loaded_at)
        res.watermark = new_wm
        res.finish("ok")
        write_load_log(con, res)
        con.execute("COMMIT")
        in_txn = False
    except BaseException:
        if in_txn:
            con.execute("ROLLBACK")
        if landed_direct:
            con.execute(
                f"DELETE FROM {raw} WHERE _run_id = {lit(run_id)} AND _loaded_at = {ts_lit(loaded_at)}"
            )
        raise
    finally:
        con.execute(f"SET memory_limit = '{memory_setting}'")
        con.execute(
            f"SET preserve_insertion_order = {'true' if str(order_setting).lower() == 'true' else 'false'}"
        )
        if src.kind == "sqlite":
            con.execute("SET sqlite_all_varchar = false")
        for t in (stage, src_keys, "_latest", "_q_rows", "_dupes"):
            con.execute(f"DROP TABLE IF EXISTS {q(t)}")
    if progress:
        progress(
            src.system,
            table.name,
            f"{res.rows_read} read, {res.rows_new_versions} new versions, {res.rows_deleted} deleted,"
            f" {res.rows_quarantined} quarantined",
        )
    return res


def _add_drift_columns(
    con: duckdb.DuckDBPyConnection, raw: str, table: SourceTable, plan: _Plan, res: TableLoadResult
) -> None:
    if not plan.extra:
        return
    raw_cols = _raw_columns(con, table.raw_name)
    for c in plan.extra:
        if c not in raw_cols:
            con.execute(f"ALTER TABLE {raw} ADD COLUMN {q(c)} VARCHAR")
            res.note(f"new source column {c} landed (schema drift: not in the catalogue)")


def extract_database(
    con: duckdb.DuckDBPyConnection,
    system: str,
    source: SqliteSource | ServerSource,
    *,
    mode: Literal["full", "incremental"],
    run_id: str,
    tables: list[str] | None = None,
    detect_deletes: bool | None = None,
    now: datetime | None = None,
    progress: Progress | None = None,
    connect_attempts: int = 4,
    backoff_s: float = 0.5,
) -> list[TableLoadResult]:
    """Extract every catalogued table of ``system`` (or ``tables``) from ``source`` into raw.

    ``detect_deletes`` defaults to True on full runs and False on incremental ones (an incremental
    run with ``detect_deletes=True`` scans the source's keys).  ``now`` (naive Beijing time) is the
    extraction start used for the 15-minute look-back and the one-hour future limit.

    A table that fails (schema drift, read error) gets a ``failed`` result and a load-log row; the
    other tables continue.  An unreachable source raises :class:`SourceUnavailable`.
    """
    if mode not in ("full", "incremental"):
        raise ValueError(f"mode must be 'full' or 'incremental', not {mode!r}")
    catalog = load_catalog()
    if system not in catalog:
        raise ValueError(f"unknown system {system!r} (catalogue has {', '.join(catalog)})")
    wanted = list(catalog[system].values())
    if tables is not None:
        unknown = [t for t in tables if t not in catalog[system]]
        if unknown:
            raise ValueError(f"{system}: tables not in the catalogue: {', '.join(unknown)}")
        wanted = [t for t in wanted if t.name in tables]
    if detect_deletes is None:
        detect_deletes = mode == "full"
    create_raw_schema(con)
    src = attach_source(con, system, source, attempts=connect_attempts, backoff_s=backoff_s)
    results: list[TableLoadResult] = []
    try:
        for table in wanted:
            try:
                results.append(
                    extract_table(
                        con,
                        src,
                        table,
                        mode=mode,
                        run_id=run_id,
                        detect_deletes=detect_deletes,
                        now=now,
                        progress=progress,
                    )
                )
            except Exception as exc:  # one table failing does not stop the others
                msg = _scrub(str(exc), source)
                if not msg.startswith(f"{system}."):
                    msg = f"{system}.{table.name}: {msg}"
                failed = TableLoadResult(
                    system=system, table=table.name, mode=mode, run_id=run_id, started_at=beijing_now()
                ).finish("failed", msg)
                write_load_log(con, failed)
                results.append(failed)
                if progress:
                    progress(system, table.name, f"FAILED: {msg}")
    finally:
        detach_source(con, src)
    return results
