"""Payment platform extraction (source_systems/payment_api.md) into ``raw.payment__bills``.

HTTP client with timeouts and bounded retries (``Retry-After`` honoured on 429, exponential back-off
on 5xx and connection errors), bearer token from the settings' environment variable (never logged),
cursor paging to the end.  Incremental runs ask for ``updated_since`` = the largest ``updated_at``
landed (inclusive); bills are de-duplicated on ``bill_id`` (later ``updated_at`` wins, on equal
``updated_at`` the later one read) and appended as versions (``_op`` I/U) only when their
``_row_hash`` differs from the current version held.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any, Literal

import duckdb
import pyarrow as pa
import requests

from extractors.bookkeeping import (
    Progress,
    QuarantineRow,
    TableLoadResult,
    beijing_now,
    q,
    quarantine_rows,
    write_load_log,
)
from extractors.database import hash_expr
from extractors.raw_schema import BILL_COLUMNS, create_raw_schema
from orchestration.settings import PaymentSource

RAW_TABLE = "raw.payment__bills"


class PaymentError(RuntimeError):
    """The payment API could not be read (message names the host, never the token)."""


class PaymentClient:
    """A small client for ``GET /api/v1/bills`` with retries and cursor paging."""

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        timeout_s: float = 30.0,
        max_retries: int = 6,
        page_size: int = 500,
        backoff_s: float = 0.5,
        max_sleep_s: float = 60.0,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.base_url = base_url.rstrip("/")
        self._token = token
        self.timeout_s = timeout_s
        self.max_retries = max_retries
        self.page_size = page_size
        self.backoff_s = backoff_s
        self.max_sleep_s = max_sleep_s
        self.session = session or requests.Session()
        self.sleep = sleep
        self.retries_done = 0

    def __repr__(self) -> str:  # never show the token
        return f"PaymentClient({self.base_url!r})"

    def _retry_after(self, resp: requests.Response, attempt: int) -> float:
        value = resp.headers.get("Retry-After")
        if value:
            try:
                return min(max(float(value), 0.0), self.max_sleep_s)
            except ValueError:
                try:
                    when = parsedate_to_datetime(value)
                    return min(max((when - datetime.now(when.tzinfo)).total_seconds(), 0.0), self.max_sleep_s)
                except (TypeError, ValueError):
                    pass
        return self._backoff(attempt)

    def _backoff(self, attempt: int) -> float:
        return min(self.backoff_s * (2**attempt), self.max_sleep_s)

    def get(self, path: str, params: dict[str, Any] | None = None) -> dict:
        url = f"{self.base_url}{path}"
        headers = {"Authorization": f"Bearer {self._token}", "Accept": "application/json"}
        last = ""
        for attempt in range(self.max_retries + 1):
            try:
                resp = self.session.get(
                    url, params=params, headers=headers, timeout=(min(10.0, self.timeout_s), self.timeout_s)
                )
            except (requests.ConnectionError, requests.Timeout) as exc:
                last = f"{type(exc).__name__}"
                if attempt < self.max_retries:
                    self.retries_done += 1
                    self.sleep(self._backoff(attempt))
                continue
            if resp.status_code == 200:
                try:
                    return resp.json()
                except ValueError:
                    last = "answer is not JSON"
                    if attempt < self.max_retries:
                        self.retries_done += 1
                        self.sleep(self._backoff(attempt))
                    continue
            if resp.status_code in (401, 403):
                raise PaymentError(
                    f"payment: the API at {self.base_url} refused the bearer token (HTTP {resp.status_code})"
                )
            if resp.status_code == 429 or resp.status_code >= 500:
                last = f"HTTP {resp.status_code}"
                if attempt < self.max_retries:
                    self.retries_done += 1
                    self.sleep(
                        self._retry_after(resp, attempt)
                        if resp.status_code == 429
                        else self._backoff(attempt)
                    )
                continue
            raise PaymentError(f"payment: GET {url} answered HTTP {resp.status_code}: {resp.text[:200]}")
        raise PaymentError(f"payment: GET {url} still failing after {self.max_retries + 1} attempts ({last})")

    def close(self) -> None:
        self.session.close()

    def health(self) -> bool:
        return self.get("/api/v1/health").get("status") == "ok"

    def iter_pages(self, updated_since: str | None = None) -> Iterator[list[dict]]:
        """Pages of bills, in order, following the cursor to the end."""
        cursor: str | None = None
        seen_cursors: set[str] = set()
        while True:
            params: dict[str, Any] = {"page_size": self.page_size}
            if updated_since:
                params["updated_since"] = updated_since
            if cursor:
                params["cursor"] = cursor
            body = self.get("/api/v1/bills", params)
            items = body.get("items")
            if not isinstance(items, list):
                raise PaymentError(f"payment: {self.base_url} answered without an items list")
            yield items
            cursor = body.get("next_cursor")
            if not cursor:
                return
            if cursor in seen_cursors:
                raise PaymentError(f"payment: {self.base_url} returned the same cursor twice")
            seen_cursors.add(cursor)


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool | int | float):
        return json.dumps(value)
    return json.dumps(value, ensure_ascii=False)


def latest_updated_at(con: duckdb.DuckDBPyConnection) -> str | None:
    """The largest ``updated_at`` landed (the text as delivered)."""
    row = con.execute(
        f"select arg_max(updated_at, try_cast(updated_at as timestamptz)) from {RAW_TABLE}"
        " where try_cast(updated_at as timestamptz) is not null"
    ).fetchone()
    return row[0] if row else None


def extract_payment(
    con: duckdb.DuckDBPyConnection,
    source: PaymentSource,
    *,
    mode: Literal["full", "incremental"],
    run_id: str,
    progress: Progress | None = None,
    token: str | None = None,
    client: PaymentClient | None = None,
) -> list[TableLoadResult]:
    """Read bills from the payment API into ``raw.payment__bills`` (see module docstring).
    Raises :class:`PaymentError` (or ``ConfigError`` for a missing token) when the API cannot be read;
    nothing is landed then."""
    create_raw_schema(con)
    res = TableLoadResult(system="payment", table="bills", mode=mode, run_id=run_id, started_at=beijing_now())
    own_client = client is None
    if client is None:
        client = PaymentClient(
            source.base_url,
            token if token is not None else source.token(),
            timeout_s=source.timeout_s,
            max_retries=source.max_retries,
            page_size=source.page_size,
        )
    since = latest_updated_at(con) if mode == "incremental" else None
    if progress:
        progress("payment", "bills", f"reading bills {'updated since ' + since if since else '(all)'}")
    cols: dict[str, list] = {c: [] for c in BILL_COLUMNS}
    extra_cols: dict[str, list] = {}
    seq: list[int] = []
    bad: list[QuarantineRow] = []
    n = 0
    try:
        pages = list(client.iter_pages(since))
    finally:
        if own_client:
            client.close()
    for page_no, items in enumerate(pages, start=1):
        for i, item in enumerate(items):
            n += 1
            if (
                not isinstance(item, dict)
                or not item.get("bill_id")
                or not isinstance(item.get("updated_at"), str)
            ):
                ref = (
                    f"bill_id={item.get('bill_id')}" if isinstance(item, dict) else f"page {page_no} item {i}"
                )
                bad.append(
                    QuarantineRow(
                        ref,
                        json.dumps(item, ensure_ascii=False, default=str),
                        "bill without bill_id or updated_at",
                    )
                )
                continue
            for c in BILL_COLUMNS:
                cols[c].append(_text(item.get(c)))
            for k in item:
                if k not in cols and k not in extra_cols:
                    extra_cols[k] = [None] * len(seq)
            for k, lst in extra_cols.items():
                lst.append(_text(item.get(k)))
            seq.append(n)
    res.rows_read = n
    stage_tbl = pa.table(
        {
            **{c: pa.array(v, pa.string()) for c, v in cols.items()},
            **{c: pa.array(v, pa.string()) for c, v in extra_cols.items()},
            "_seq": pa.array(seq, pa.int64()),
        }
    )
    con.register("_bills_in", stage_tbl)
    try:
        # bad timestamps cannot be ordered: quarantine them too
        bad_ts = con.execute(
            "select bill_id, updated_at from _bills_in where try_cast(updated_at as timestamptz) is null"
        ).fetchall()
        for bid, ua in bad_ts:
            bad.append(
                QuarantineRow(
                    f"bill_id={bid}",
                    json.dumps({"bill_id": bid, "updated_at": ua}, ensure_ascii=False),
                    f"unparseable updated_at: {ua!r}",
                )
            )
        extra = list(extra_cols)
        all_cols = BILL_COLUMNS + extra
        sel = ", ".join(q(c) for c in all_cols)
        con.execute(f"""create or replace temp table _bills_stage as
            select {sel}, {hash_expr(BILL_COLUMNS, extra)} as _row_hash,
                   try_cast(updated_at as timestamptz) as _ts
            from _bills_in where try_cast(updated_at as timestamptz) is not null
            qualify row_number() over (partition by bill_id order by try_cast(updated_at as timestamptz) desc,
                                       _seq desc) = 1""")
    finally:
        con.unregister("_bills_in")
    res.rows_quarantined = len(bad)
    res.rows_landed = res.rows_read - res.rows_quarantined
    dupes = res.rows_landed - con.execute("select count(*) from _bills_stage").fetchone()[0]
    if dupes:
        res.note(f"{dupes} bills read more than once (updated while paging): the latest kept")
    if extra:
        res.note(f"unknown API fields landed: {', '.join(extra)}")
    now = beijing_now()
    con.execute("BEGIN TRANSACTION")
    try:
        raw_cols = [
            r[0]
            for r in con.execute(
                "select column_name from information_schema.columns where table_schema = 'raw'"
                " and table_name = 'payment__bills'"
            ).fetchall()
        ]
        for c in extra:
            if c not in raw_cols:
                con.execute(f"alter table {RAW_TABLE} add column {q(c)} varchar")
        con.execute(f"""create or replace temp table _bills_latest as
            select bill_id, arg_max(_row_hash, (try_cast(updated_at as timestamptz), _loaded_at)) as h,
                   max(try_cast(updated_at as timestamptz)) as ts
            from {RAW_TABLE} where bill_id in (select bill_id from _bills_stage) group by bill_id""")
        res.rows_new_versions = con.execute(
            f"""insert into {RAW_TABLE} ({sel}, _run_id, _loaded_at, _row_hash, _op)
            select {", ".join("s." + q(c) for c in all_cols)}, ?, ?::timestamp, s._row_hash,
                   case when l.h is null then 'I' else 'U' end
            from _bills_stage s left join _bills_latest l using (bill_id)
            where l.h is null or (l.h <> s._row_hash and s._ts >= l.ts)""",
            [run_id, now],
        ).fetchone()[0]
        quarantine_rows(con, run_id=run_id, system="payment", table="bills", rows=bad, at=now)
        res.finish("ok")
        if client.retries_done:
            res.message = (res.message + "; " if res.message else "") + f"{client.retries_done} HTTP retries"
        write_load_log(con, res)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    finally:
        con.execute("drop table if exists _bills_stage")
        con.execute("drop table if exists _bills_latest")
    if progress:
        progress("payment", "bills", f"{res.rows_read} read, {res.rows_new_versions} new versions")
    return [res]
