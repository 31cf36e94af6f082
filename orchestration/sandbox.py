"""Analysts' ad-hoc SQL on the serving snapshot: read-only, no file or network access.

Used by ``campus-dw sql`` and the dashboards' SQL page (``dashboards/analyst_sql.py``); the safety
rules live here only:

- the snapshot is ATTACHed ``READ_ONLY`` into a private in-memory DuckDB (so a process that already
  has the snapshot open, such as the dashboards' reader or ``campus-dw sql``'s own reader, can
  open the sandbox too: opening the same file twice with different settings is refused by DuckDB);
- then ``enable_external_access = false`` and the configuration is locked: no file access
  (``read_csv``, ``glob``, ``COPY``, ``EXPORT``), no further ``ATTACH``, no ``INSTALL``/``LOAD``,
  no ``SET`` that would undo any of it;
- exactly one statement, and only a read statement (``SELECT``/``WITH``/``VALUES``/``DESCRIBE``/
  ``SHOW``/``SUMMARIZE``/``EXPLAIN``): no temp tables, ``USE``, ``DETACH`` or ``CHECKPOINT``;
- at most ``limit`` rows are fetched, and a statement timeout interrupts the query.
"""

from __future__ import annotations

import csv
import io
import json
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa

#: the catalog name under which the snapshot is attached (queries say ``marts.<table>``)
CATALOG = "serving"
#: statement types a query may have (DESCRIBE/SHOW/SUMMARIZE/PRAGMA-as-function parse as SELECT)
READ_STATEMENTS = frozenset({duckdb.StatementType.SELECT, duckdb.StatementType.EXPLAIN})


class SqlError(Exception):
    """A query the sandbox refused or DuckDB could not run; the message is for the analyst."""


class SqlTimeout(SqlError):
    """The statement ran past its timeout and was interrupted."""


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def open_sandbox(
    snapshot: Path, *, memory_limit: str | None = None, threads: int | None = None
) -> duckdb.DuckDBPyConnection:
    """A private connection with ``snapshot`` attached read-only as :data:`CATALOG` (the default
    catalog), file access off and the configuration locked."""
    con = duckdb.connect(
        ":memory:",
        config={"autoinstall_known_extensions": False, "autoload_known_extensions": False},
    )
    try:
        con.execute(f"attach {_lit(str(snapshot))} as {CATALOG} (read_only)")
        con.execute(f"use {CATALOG}")
        con.execute("set enable_external_access = false")
        if memory_limit:
            con.execute(f"set memory_limit = {_lit(memory_limit)}")
        if threads:
            con.execute(f"set threads = {int(threads)}")
        con.execute("set lock_configuration = true")
    except BaseException:
        con.close()
        raise
    return con


def check_read_only(con: duckdb.DuckDBPyConnection, query: str) -> None:
    """Refuse anything but exactly one read statement (raises :class:`SqlError`)."""
    try:
        statements = con.extract_statements(query)
    except duckdb.Error as exc:
        raise SqlError(str(exc)) from None
    if not statements:
        raise SqlError("The query is empty.")
    if len(statements) > 1:
        raise SqlError(f"One statement at a time, please ({len(statements)} were given).")
    kind = statements[0].type
    if kind not in READ_STATEMENTS:
        name = getattr(kind, "name", str(kind))
        raise SqlError(
            f"Only read statements are allowed (SELECT, WITH, DESCRIBE, SHOW, SUMMARIZE, EXPLAIN); "
            f"this statement's type is {name}. The serving snapshot is read-only."
        )


@dataclass(frozen=True)
class QueryResult:
    table: pa.Table  # at most ``limit`` rows
    truncated: bool  # more rows existed than ``limit``
    seconds: float


def query_sandbox(
    snapshot: Path,
    query: str,
    *,
    limit: int = 1000,
    timeout: float | None = None,
    memory_limit: str | None = None,
    threads: int | None = None,
) -> QueryResult:
    """Run one read statement in a fresh sandbox; at most ``limit`` rows, interrupted after
    ``timeout`` seconds.  Every refusal or DuckDB error is a :class:`SqlError`."""
    if limit < 1:
        raise SqlError("The row limit must be at least 1.")
    started = time.perf_counter()
    try:
        con = open_sandbox(snapshot, memory_limit=memory_limit, threads=threads)
    except duckdb.Error as exc:
        raise SqlError(f"The serving snapshot cannot be opened: {exc}") from None
    timed_out = threading.Event()

    def _interrupt() -> None:
        timed_out.set()
        con.interrupt()

    timer = threading.Timer(timeout, _interrupt) if timeout else None
    try:
        check_read_only(con, query)
        if timer is not None:
            timer.daemon = True
            timer.start()
        try:
            cur = con.execute(query)
            if cur.description is None:
                table, truncated = pa.table({}), False
            else:
                batches, rows = [], 0
                reader = cur.to_arrow_reader(min(limit + 1, 100_000))
                for batch in reader:
                    batches.append(batch)
                    rows += batch.num_rows
                    if rows > limit:
                        break
                table = pa.Table.from_batches(batches, schema=reader.schema)
                truncated = table.num_rows > limit
                table = table.slice(0, limit)
        except (duckdb.Error, pa.ArrowException) as exc:
            if timed_out.is_set():
                raise SqlTimeout(
                    f"The query was stopped after the statement timeout of {timeout:g} s."
                ) from None
            raise SqlError(str(exc)) from None
    finally:
        if timer is not None:
            timer.cancel()
        con.close()
    return QueryResult(table, truncated, time.perf_counter() - started)


def run_sandboxed_sql(
    snapshot: Path, query: str, *, limit: int = 1000, fmt: str = "table", timeout: float | None = None
) -> str:
    result = query_sandbox(snapshot, query, limit=limit, timeout=timeout)
    if not result.table.column_names:
        return ""
    cols = result.table.column_names
    rows = [tuple(r.values()) for r in result.table.to_pylist()]
    if fmt == "json":
        return json.dumps(
            [dict(zip(cols, r, strict=True)) for r in rows], ensure_ascii=False, default=str, indent=1
        )
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow(cols)
        w.writerows(rows)
        return buf.getvalue().rstrip("\n")
    text = [[("NULL" if v is None else str(v)) for v in r] for r in rows]
    widths = [max([len(c)] + [len(r[i]) for r in text]) for i, c in enumerate(cols)]
    lines = [
        " | ".join(c.ljust(w) for c, w in zip(cols, widths, strict=True)),
        "-+-".join("-" * w for w in widths),
    ]
    lines += [" | ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)) for r in text]
    lines.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''}{', limited' if result.truncated else ''})")
    return "\n".join(lines)
