"""Load bookkeeping of the raw layer: the load log, quarantine and watermarks.

Tables (``extractors/raw_schema.py``, docs/architecture.md "The raw layer"):

- ``raw._load_log``: one row per run, system and table; ``rows_read = rows_landed + rows_quarantined``.
- ``raw._quarantine``: rows that could not be landed, with the reason.  A bad row seen again in a
  later run is not added twice: rows are keyed by (system, table, source_ref, reason, md5(record)).
  Stewards clear rows with :func:`release_quarantine` (the row stays, marked released).
- ``raw._watermarks``: per database table, the largest update timestamp landed (the watermark,
  never more than an hour ahead of the clock) and the newest one held (future-dated rows included).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import duckdb

BEIJING = ZoneInfo("Asia/Shanghai")

#: progress callback: (system, table, message)
Progress = Callable[[str, str, str], None]


def beijing_now() -> datetime:
    """Naive Beijing time (the sources' and raw's clock)."""
    return datetime.now(BEIJING).replace(tzinfo=None)


def q(name: str) -> str:
    """Quote an identifier for DuckDB."""
    return '"' + name.replace('"', '""') + '"'


def lit(value: str | None) -> str:
    """A SQL string literal (NULL for None)."""
    if value is None:
        return "NULL"
    return "'" + value.replace("'", "''") + "'"


def ts_lit(value: datetime | None) -> str:
    """A SQL TIMESTAMP literal (NULL for None)."""
    if value is None:
        return "NULL"
    return f"TIMESTAMP '{value.isoformat(sep=' ')}'"


@dataclass
class TableLoadResult:
    """What one extraction of one table did (also written to ``raw._load_log``)."""

    system: str
    table: str
    mode: str
    run_id: str
    started_at: datetime
    finished_at: datetime | None = None
    rows_read: int = 0
    rows_landed: int = 0
    rows_new_versions: int = 0
    rows_quarantined: int = 0
    rows_deleted: int = 0
    status: str = "ok"  # ok | failed | skipped
    message: str = ""
    watermark: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def duration_s(self) -> float:
        end = self.finished_at or beijing_now()
        return (end - self.started_at).total_seconds()

    @property
    def ok(self) -> bool:
        return self.status != "failed"

    def note(self, text: str) -> None:
        self.notes.append(text)

    def finish(self, status: str | None = None, message: str | None = None) -> TableLoadResult:
        if status:
            self.status = status
        if message is not None:
            self.message = message
        elif self.notes and not self.message:
            self.message = "; ".join(self.notes)
        self.finished_at = beijing_now()
        return self

    def as_dict(self) -> dict:
        d = asdict(self)
        d["duration_s"] = self.duration_s
        return d


def write_load_log(con: duckdb.DuckDBPyConnection, r: TableLoadResult) -> None:
    """Append the result to ``raw._load_log`` (call inside the load's transaction when it succeeds)."""
    if r.finished_at is None:
        r.finish()
    vals = [
        lit(r.run_id),
        lit(r.system),
        lit(r.table),
        lit(r.mode),
        ts_lit(r.started_at),
        ts_lit(r.finished_at),
        repr(float(r.duration_s)),
        str(int(r.rows_read)),
        str(int(r.rows_landed)),
        str(int(r.rows_new_versions)),
        str(int(r.rows_quarantined)),
        str(int(r.rows_deleted)),
        lit(r.status),
        lit(r.message or ""),
    ]
    # literals, not bound parameters: no per-process start-up cost in the hot path
    con.execute(
        "insert into raw._load_log (run_id, system, table_name, mode, started_at, finished_at, duration_s,"
        " rows_read, rows_landed, rows_new_versions, rows_quarantined, rows_deleted, status, message)"
        f" values ({', '.join(vals)})"
    )


# -- quarantine ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class QuarantineRow:
    source_ref: str
    record: str
    reason: str


def quarantine_rows(
    con: duckdb.DuckDBPyConnection,
    *,
    run_id: str,
    system: str,
    table: str,
    rows: Iterable[QuarantineRow],
    at: datetime | None = None,
) -> int:
    """Add rows to ``raw._quarantine`` unless the same (system, table, source_ref, reason, record)
    is already there.  Returns the number of rows given (all of them are accounted for)."""
    rows = list(rows)
    if not rows:
        return 0
    at = at or beijing_now()
    con.execute("create or replace temp table _q_new (source_ref varchar, record varchar, reason varchar)")
    con.executemany("insert into _q_new values (?, ?, ?)", [(r.source_ref, r.record, r.reason) for r in rows])
    insert_quarantine_from(con, "_q_new", run_id=run_id, system=system, table=table, at=at)
    con.execute("drop table _q_new")
    return len(rows)


def insert_quarantine_from(
    con: duckdb.DuckDBPyConnection, relation: str, *, run_id: str, system: str, table: str, at: datetime
) -> None:
    """Insert (source_ref, record, reason) rows of a relation into quarantine, de-duplicated."""
    con.execute(
        f"""insert into raw._quarantine (run_id, system, table_name, source_ref, record, reason, quarantined_at)
        select distinct {lit(run_id)}, {lit(system)}, {lit(table)}, n.source_ref, n.record, n.reason, {ts_lit(at)}
        from {relation} n
        where not exists (
            select 1 from raw._quarantine o
            where o.system = {lit(system)} and o.table_name = {lit(table)}
              and o.source_ref is not distinct from n.source_ref
              and o.reason = n.reason and md5(coalesce(o.record, '')) = md5(coalesce(n.record, '')))"""
    )


def release_quarantine(
    con: duckdb.DuckDBPyConnection,
    quarantine_ids: Sequence[int],
    released_by: str,
    *,
    at: datetime | None = None,
) -> int:
    """Mark quarantine rows as released (cleared by a data steward).  The rows stay in the table
    (nothing is lost) but no longer count as open.  Returns the number of rows released."""
    if not quarantine_ids:
        return 0
    at = at or beijing_now()
    ids = [int(i) for i in quarantine_ids]
    placeholders = ", ".join("?" for _ in ids)
    n = con.execute(
        f"select count(*) from raw._quarantine where released_at is null and quarantine_id in ({placeholders})",
        ids,
    ).fetchone()[0]
    con.execute(
        f"update raw._quarantine set released_at = ?, released_by = ?"
        f" where released_at is null and quarantine_id in ({placeholders})",
        [at, released_by, *ids],
    )
    return int(n)


def open_quarantine(con: duckdb.DuckDBPyConnection, system: str | None = None) -> list[dict]:
    """Quarantine rows not yet released (optionally for one system), oldest first."""
    sql = "select * from raw._quarantine where released_at is null"
    params: list = []
    if system:
        sql += " and system = ?"
        params.append(system)
    cur = con.execute(sql + " order by quarantine_id", params)
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]


# -- watermarks ---------------------------------------------------------------------------------


def get_watermark(con: duckdb.DuckDBPyConnection, system: str, table: str) -> str | None:
    return get_load_marks(con, system, table)[0]


def get_load_marks(
    con: duckdb.DuckDBPyConnection, system: str, table: str
) -> tuple[str | None, datetime | None]:
    """(watermark, newest_landed) of a database table; (None, None) before its first load.

    ``newest_landed`` is the greatest update timestamp among the versions held in raw, future-dated
    rows included (the watermark stops an hour ahead of the clock; this does not).  NULL in a
    warehouse from before the column existed: the extractor then computes it from raw once."""
    row = con.execute(
        "select watermark, newest_landed from raw._watermarks"
        f" where system = {lit(system)} and table_name = {lit(table)}"
    ).fetchone()
    return (row[0], row[1]) if row else (None, None)


def set_load_marks(
    con: duckdb.DuckDBPyConnection,
    system: str,
    table: str,
    watermark: str | None,
    newest_landed: datetime | None,
    at: datetime | None = None,
) -> None:
    """Write both marks of a table (the row is replaced whole)."""
    con.execute(
        "insert or replace into raw._watermarks (system, table_name, watermark, newest_landed, updated_at)"
        f" values ({lit(system)}, {lit(table)}, {lit(watermark)},"
        f" {ts_lit(newest_landed)}, {ts_lit(at or beijing_now())})"
    )


def incremental_lower_bound(
    watermark: str | None, start: datetime, lag: timedelta = timedelta(minutes=15)
) -> str | None:
    """``min(watermark, start - lag)`` as 'YYYY-MM-DD HH:MM:SS' (None when nothing was landed yet)."""
    if watermark is None:
        return None
    floor = (start - lag).strftime("%Y-%m-%d %H:%M:%S")
    return min(watermark[:19], floor)


def to_json(record: dict) -> str:
    return json.dumps(record, ensure_ascii=False, default=str, sort_keys=False)
