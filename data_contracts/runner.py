"""Run the contracts' checks on the raw layer and persist the results (schema ``quality``).

``run_checks(warehouse, run_id)`` reads the CURRENT version of each source key from raw
(docs/architecture.md): for a ``changed_only`` run only the keys whose latest version the run
``run_id`` landed (for finance: the files that run landed), else every current key; a
``changed_only`` run's results then carry the previous run's failing rows of unchanged current keys
(``_carry_forward``), so every run's results are the table's whole current state. Per table:

1. one DuckDB query over the checked rows builds a narrow Arrow table: the source key, the
   columns GX checks natively, ``<col>__num`` for range checks and one boolean ``__ok__<rule>``
   per computed rule (SQL from the contract; python-stdnum's GB 11643 check is a vectorised
   DuckDB UDF over the distinct ID numbers) -- no per-row Python;
2. Great Expectations validates the table's generated suite through its pandas datasource, fed the
   DataFrame from Arrow (``.arrow()`` -> pandas, per the design notes; GX 1.x cannot validate
   DuckDB through SQLAlchemy), in a child process while this one prepares the next tables
   (``_CheckPipeline``). GX's counts are the published counts (result format BASIC);
3. the failing rows of each failed rule are taken by DuckDB from the same Arrow table with the
   rule's SQL predicate, and their count is cross-checked against GX's (``CheckReport.mismatches``).

Results go to ``quality.check_results`` (one row per run and rule) and ``quality.failing_rows``
(personal fields kept: only the stewards' restricted snapshot carries this schema).
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import itertools
import json
import re
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import duckdb
import pyarrow as pa

from data_contracts.gx_suites import build_suite, import_gx, num_column, ok_column
from data_contracts.loader import (
    MART_SYSTEM,
    Contract,
    Rule,
    load_contracts,
    load_helper_views,
    load_mart_contracts,
    number_sql,
    quote,
    rules_by_table,
)

Progress = Callable[[str, str, str], None]

QUALITY_DDL = [
    "create schema if not exists quality",
    """create table if not exists quality.check_results (
        run_id varchar, checked_at timestamp, rule_id varchar, system varchar, table_name varchar,
        column_name varchar, severity varchar, owner varchar, checked_rows bigint, failed_rows bigint,
        failure_rate double, sample_keys json, status varchar)""",
    """create table if not exists quality.failing_rows (
        run_id varchar, rule_id varchar, system varchar, table_name varchar, source_key json,
        column_name varchar, value varchar, reason varchar)""",
]
MAX_FAILING_ROWS_PER_RULE = 100_000
SAMPLE_KEYS = 10


@dataclass
class RuleResult:
    rule_id: str
    system: str
    table_name: str
    column_name: str | None
    severity: str
    owner: str
    checked_rows: int
    failed_rows: int
    sample_keys: list[dict[str, Any]] = field(default_factory=list)
    status: str = "pass"  # pass | fail | error | skipped
    message: str = ""

    @property
    def failure_rate(self) -> float | None:
        return None if not self.checked_rows else self.failed_rows / self.checked_rows


@dataclass
class CheckReport:
    run_id: str
    checked_at: datetime
    changed_only: bool
    results: list[RuleResult] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)  # per table, seconds
    seconds_sql: float = 0.0
    seconds_gx: float = 0.0
    seconds_total: float = 0.0
    mismatches: list[str] = field(default_factory=list)  # GX vs SQL count disagreements
    seconds_save_results: float = 0.0  # saving GX results for the run's Data Docs (data_docs.py)

    @property
    def blocking_failed(self) -> bool:
        return any(r.severity == "blocking" and r.status in ("fail", "error") for r in self.results)

    @property
    def failed(self) -> list[RuleResult]:
        return [r for r in self.results if r.status == "fail"]

    def summary(self) -> str:
        by = {s: sum(1 for r in self.failed if r.severity == s) for s in ("blocking", "error", "warn")}
        errs = sum(1 for r in self.results if r.status == "error")
        return (
            f"quality {self.run_id}: {len(self.results)} rules, {len(self.failed)} failed "
            f"(blocking {by['blocking']}, error {by['error']}, warn {by['warn']}), {errs} could not run; "
            f"{self.seconds_total:.1f} s (SQL {self.seconds_sql:.1f} s, GX {self.seconds_gx:.1f} s)"
        )


def beijing_now() -> datetime:
    return datetime.now(ZoneInfo("Asia/Shanghai")).replace(tzinfo=None)


# ---------------------------------------------------------------------------------------------
# SQL helpers registered on the connection

_RIC_CACHE: dict[str, bool] = {}


@functools.cache
def _memoised_address_table() -> None:
    """stdnum's address-code table (``numdb.get('cn/loc')``, one shared object per process) answers
    ``info(code)`` by walking its prefix tree, ~0.02 ms a call: the same answer every time for a
    code, so its ``info`` is memoised on that object (the results are read, never changed, by
    ``get_birth_place``)."""
    from stdnum import numdb

    db = numdb.get("cn/loc")
    db.info = functools.cache(db.info)  # type: ignore[method-assign]


@functools.cache
def _ric_place_valid(prefix: str, year: str) -> bool:
    """stdnum's birth-place check for an address code and birth year.  It depends on nothing else
    (``ric.get_birth_place`` reads number[:6] and the birth year), and its table lookup is the
    costly part of ``ric.validate`` (~0.04 ms a number), so it is asked once per (code, year)."""
    from stdnum.cn import ric
    from stdnum.exceptions import ValidationError

    _memoised_address_table()
    try:
        ric.get_birth_place(f"{prefix}{year}01010000")
    except (ValidationError, KeyError):  # KeyError: stdnum 2.x on a province/city code, no county
        return False
    return True


@functools.cache
def _county_dated(prefix: str) -> bool:
    """Whether stdnum's address table dates any county of this code (``[start-end]name``): only then
    does the birth year matter to ``get_birth_place``; otherwise one answer serves every year."""
    from stdnum import numdb

    return any("[" in str(props.get("county", "")) for _, props in numdb.get("cn/loc").info(prefix))


@functools.cache
def _birth_date_valid(yyyymmdd: str) -> bool:
    """stdnum's birth-date check (``get_birth_date`` reads number[6:14] only), once per date."""
    from stdnum.cn import ric
    from stdnum.exceptions import ValidationError

    try:
        ric.get_birth_date(f"000000{yyyymmdd}0000")
    except (ValidationError, ValueError):
        return False
    return True


def ric_is_valid(value: str) -> bool:
    """``stdnum.cn.ric.is_valid`` with its lookups memoised: the same steps in the same order, each
    done by stdnum (compact, length/format, check digit, birth date, birth place), the birth date
    asked once per date and the birth place once per address code (once per code and birth year
    where stdnum dates the code's counties).  A value of ASCII letters and digits without lower
    case is its own compact form (``compact`` only maps non-ASCII characters, blanks and case).
    tests/data_contracts/test_ric.py checks that it agrees with ``ric.is_valid``."""
    from stdnum.cn import ric
    from stdnum.util import isdigits

    number = value if value.isascii() and value.isalnum() and value == value.upper() else ric.compact(value)
    if len(number) != 18 or not isdigits(number[:-1]) or number[-1] != ric.calc_check_digit(number):
        return False
    if not _birth_date_valid(number[6:14]):
        return False
    prefix = number[:6]
    return _ric_place_valid(prefix, number[6:10] if _county_dated(prefix) else "2000")


def _ric_valid_arrow(values: pa.Array) -> pa.Array:
    """Vectorised GB 11643 check: python-stdnum once per DISTINCT value (memoised for the run;
    several rules ask about the same numbers)."""
    py = values.to_pylist()
    for v in set(py):
        if v is not None and v not in _RIC_CACHE:
            _RIC_CACHE[v] = ric_is_valid(v)
    return pa.array([None if v is None else _RIC_CACHE[v] for v in py], type=pa.bool_())


MACROS = [
    "create or replace temp macro cdw_num(x) as try_cast(nullif(trim(replace(x, ',', '')), '') as double)",
    """create or replace temp macro cdw_date(x) as case
         when regexp_full_match(x, '[0-9]{8}') then try_strptime(x, '%Y%m%d')::date
         when regexp_full_match(x, '[0-9]{4}-[0-9]{2}-[0-9]{2}') then try_strptime(x, '%Y-%m-%d')::date end""",
    "create or replace temp macro cdw_gender(x) as case x when '男' then '1' when '女' then '2' else x end",
]


def _register_helpers(con: duckdb.DuckDBPyConnection) -> None:
    from duckdb.sqltypes import BOOLEAN, VARCHAR

    with contextlib.suppress(duckdb.Error):  # not registered yet
        con.remove_function("cdw_ric_valid")
    con.create_function(
        "cdw_ric_valid",
        _ric_valid_arrow,
        [VARCHAR],
        BOOLEAN,
        type="arrow",
        null_handling="special",
        side_effects=False,
    )
    for m in MACROS:
        con.execute(m)


def current_sql(c: Contract, one_load: bool = False) -> str:
    """SELECT of the current version of every source key of ``c`` in raw.

    ``one_load``: every row of the raw table came from one load (one ``_loaded_at``), as after a
    table's first load; a load never lands a key twice (the extractors quarantine duplicate keys of
    a read), so each key has one version and no window is needed (the full check of a first
    load: 0.5 s of academic.cjxx's 2.3 M rows on the medium college)."""
    if c.current == "by_key" and one_load:
        return f"select * from {c.raw_table} where coalesce(_op, 'I') <> 'D'"
    if c.current == "by_key":
        pk = ", ".join(quote(k) for k in c.primary_key)
        return (
            f"select * exclude (_rk) from (select *, rank() over (partition by {pk} order by _loaded_at desc) as _rk "
            f"from {c.raw_table}) where _rk = 1 and coalesce(_op, 'I') <> 'D'"
        )
    if c.current == "finance_file":
        return (
            f"select * exclude (_mv) from (select *, max(_version) over (partition by _period) as _mv "
            f"from {c.raw_table}) where _version = _mv"
        )
    return (
        f"select * exclude (_rk) from (select *, row_number() over (partition by bill_id order by "
        f"try_cast(updated_at as timestamptz) desc nulls last, _loaded_at desc) as _rk from {c.raw_table}) where _rk = 1"
    )


def _checked_sql(c: Contract, run_id: str, changed_only: bool) -> str:
    if c.is_mart:  # a mart is rebuilt by every run: every row
        return f"select * from {c.raw_table}"
    if not changed_only:
        return f"select * from cur_{c.raw_name}"
    rid = run_id.replace("'", "''")
    if c.current == "finance_file":  # every file the run landed (files never change once exported)
        return f"select * from {c.raw_table} where _run_id = '{rid}'"
    return f"select * from cur_{c.raw_name} where _run_id = '{rid}'"


def fail_predicate(rule: Rule) -> str:
    """SQL over the check table (Arrow) that is TRUE on exactly the rows GX counts as unexpected."""
    col = quote(rule.column) if rule.column else None
    k = rule.kind
    if k == "not_null":
        return f"{col} is null"
    if k == "in_set":
        vals = ", ".join(
            "'" + v.replace("'", "''") + "'" if isinstance(v, str) else repr(v)
            for v in rule.params["value_set"]
        )
        return f"{col} is not null and {col} not in ({vals})"
    if k == "regex":
        rx = rule.params["regex"].replace("'", "''")
        return f"{col} is not null and not regexp_matches({col}, '{rx}')"
    if k == "between":
        n = quote(num_column(rule.column or ""))
        parts = []
        if rule.params["min_value"] is not None:
            parts.append(f"{n} < {rule.params['min_value']}")
        if rule.params["max_value"] is not None:
            parts.append(f"{n} > {rule.params['max_value']}")
        return f"{n} is not null and ({' or '.join(parts) or 'false'})"
    if k == "unique":
        return f"{col} is not null and count(*) over (partition by {col}) > 1"
    if k == "compound_unique":
        cols = ", ".join(quote(x) for x in rule.params["columns"])
        return f"count(*) over (partition by {cols}) > 1"
    return f"not {quote(ok_column(rule.id))}"


def _key_columns(c: Contract) -> list[tuple[str, str]]:
    """(json field name, raw column) of the source key."""
    if c.current == "finance_file":
        return [("file", "_file"), ("line_no", "_line_no")]
    return [(k, k) for k in c.source_key]


def _key_json_sql(c: Contract) -> str:
    """SQL (over the check table) of a row's source key as JSON, e.g. ``{"cjid": "42"}``."""
    return (
        "to_json(struct_pack(" + ", ".join(f"{quote(j)} := {quote(raw)}" for j, raw in _key_columns(c)) + "))"
    )


def _select_sql(c: Contract, rules: list[Rule], now_sql: str) -> str:
    cols: list[str] = []
    seen: set[str] = set()

    def add(expr: str, name: str) -> None:
        if name not in seen:
            seen.add(name)
            cols.append(f"{expr} as {quote(name)}")

    for _, raw in _key_columns(c):
        add(f"t.{quote(raw)}", raw)
    for r in rules:
        if r.kind in ("not_null", "unique", "in_set", "regex"):
            add(f"t.{quote(r.column)}", r.column)
        elif r.kind == "compound_unique":
            for x in r.params["columns"]:
                add(f"t.{quote(x)}", x)
        elif r.kind == "between":
            add(f"t.{quote(r.column)}", r.column)
            num = (
                f"try_cast(t.{quote(r.column)} as double)"
                if c.is_mart
                else number_sql(r.column).replace(quote(r.column), f"t.{quote(r.column)}")
            )
            add(num, num_column(r.column))
        else:
            if r.column:
                add(f"t.{quote(r.column)}", r.column)
            add(f"coalesce(({r.params['sql'].replace('{now}', now_sql)}), false)", ok_column(r.id))
    # a mart is read in place (it is a table already); raw rows come through the view cdw_t (_prepare_table)
    return f"select {', '.join(cols)} from {c.raw_table if c.is_mart else 'cdw_t'} as t"


# The checked rows leave DuckDB as ONE record batch of large_string columns (the connection's
# ``arrow_large_buffer_size`` is set for the run): pandas then wraps them without a copy, where
# DuckDB's default (1M-row batches of 32-bit-offset strings) cost a combine_chunks and a cast of
# every text column (academic.cjxx, medium college: 2.8 s -> 0.8 s, measured).  DuckDB reserves
# the batch's capacity up front, so the batch size is the table's row count (an estimate: more
# rows than that only means a second chunk, which _gx_counts then combines).


def _arrow(rel: duckdb.DuckDBPyRelation, rows_hint: int | None = None) -> pa.Table:
    out = rel.arrow(max(int((rows_hint or 0) * 1.02) + 2048, 1 << 20))
    return out.read_all() if isinstance(out, pa.RecordBatchReader) else out


# ---------------------------------------------------------------------------------------------


def run_checks(
    warehouse_path_or_con: str | Path | duckdb.DuckDBPyConnection,
    run_id: str,
    *,
    tables: Sequence[str] | None = None,
    changed_only: bool = True,
    progress: Progress | None = None,
    now: datetime | None = None,
    max_failing_rows: int = MAX_FAILING_ROWS_PER_RULE,
    gx_results_dir: Path | None = None,
) -> CheckReport:
    """Validate raw against the contracts and persist the results; see the module docstring.

    ``tables``: ``system.table`` names (default: every contract). ``now``: the clock for "not in the
    future" rules (naive Beijing time); default each row's own ``_loaded_at`` (when it was read).
    Returns a :class:`CheckReport`; ``report.blocking_failed`` says whether publishing must stop.
    ``gx_results_dir``: save GX's validation results there for the run's Data Docs (data_docs.py).
    """
    t_start = time.perf_counter()
    own = not isinstance(warehouse_path_or_con, duckdb.DuckDBPyConnection)
    con = duckdb.connect(str(warehouse_path_or_con)) if own else warehouse_path_or_con
    report = CheckReport(run_id=run_id, checked_at=beijing_now(), changed_only=changed_only)
    say = progress or (lambda *_: None)
    pipe: _CheckPipeline | None = None
    temp_tables: list[str] = []
    try:
        contracts = load_contracts()
        by_table = rules_by_table()
        chosen = list(tables) if tables else list(contracts)
        unknown = [x for x in chosen if x not in contracts]
        if unknown:
            raise ValueError(f"unknown tables {unknown}; known: {sorted(contracts)}")
        _RIC_CACHE.clear()
        pipe = _CheckPipeline(con, report, run_id, max_failing_rows, "campus_dw_raw")  # GX loads meanwhile
        _register_helpers(con)
        _ensure_quality(con)
        for key in chosen:
            con.execute(
                "delete from quality.failing_rows where run_id = ? and system = ? and table_name = ?",
                [run_id, contracts[key].system, contracts[key].table],
            )
        existing = {
            r[0]
            for r in con.execute(
                "select table_name from information_schema.tables where table_schema = 'raw'"
            ).fetchall()
        }
        leftover = {  # current versions materialised by an earlier run on this connection
            r[0] for r in con.execute("select table_name from duckdb_tables() where temporary").fetchall()
        }
        for c in contracts.values():
            if "cur_" + c.raw_name in leftover:
                con.execute(f"drop table temp.main.{quote('cur_' + c.raw_name)}")
            if c.raw_name in existing:
                one_load = (
                    c.current == "by_key"
                    and con.execute(f"select count(distinct _loaded_at) <= 1 from {c.raw_table}").fetchone()[
                        0
                    ]
                )
                con.execute(
                    f"create or replace temp view {quote('cur_' + c.raw_name)} as {current_sql(c, one_load)}"
                )
        sizes = dict(
            con.execute(
                "select table_name, estimated_size from duckdb_tables() where schema_name = 'raw'"
            ).fetchall()
        )
        shared = _SharedRelations(con, contracts, by_table, existing, sizes, say)
        temp_tables = shared.names
        now_sql = f"timestamp '{now:%Y-%m-%d %H:%M:%S}'" if now else "t._loaded_at"
        chosen = _check_order(
            chosen, {k: sizes.get(contracts[k].raw_name) or 0 for k in chosen}, by_table, shared
        )
        for key in chosen:
            c = contracts[key]
            rules = by_table.get(key, [])
            if c.raw_name not in existing:
                report.results += [
                    _result(r, 0, 0, "skipped", f"raw table {c.raw_table} missing") for r in rules
                ]
                continue
            shared.prepare_for(rules)
            pipe.add(c, rules, changed_only, now_sql, say)
        return _complete(con, pipe, report, contracts, gx_results_dir, say, t_start)
    finally:
        _release(con, pipe, own, temp_tables=temp_tables)


def run_mart_checks(
    warehouse_path_or_con: str | Path | duckdb.DuckDBPyConnection,
    run_id: str,
    *,
    marts: Sequence[str] | None = None,
    progress: Progress | None = None,
    max_failing_rows: int = MAX_FAILING_ROWS_PER_RULE,
    gx_results_dir: Path | None = None,
) -> CheckReport:
    """Validate the built marts (schema ``marts``, every row) against ``data_contracts/marts/`` and
    persist the results in the same ``quality`` tables, with system ``marts``.

    ``marts``: mart names (``fct_kpi_values``) or keys (``marts.fct_kpi_values``); default every mart
    contract. Uniqueness and references of marts are dbt tests (data_contracts/dbt_tests.py), not here.
    """
    t_start = time.perf_counter()
    own = not isinstance(warehouse_path_or_con, duckdb.DuckDBPyConnection)
    con = duckdb.connect(str(warehouse_path_or_con)) if own else warehouse_path_or_con
    report = CheckReport(run_id=run_id, checked_at=beijing_now(), changed_only=False)
    say = progress or (lambda *_: None)
    pipe: _CheckPipeline | None = None
    try:
        contracts = load_mart_contracts()
        chosen = [
            m if m.startswith(f"{MART_SYSTEM}.") else f"{MART_SYSTEM}.{m}" for m in (marts or contracts)
        ]
        unknown = [x for x in chosen if x not in contracts]
        if unknown:
            raise ValueError(f"unknown marts {unknown}; known: {sorted(contracts)}")
        pipe = _CheckPipeline(con, report, run_id, max_failing_rows, "campus_dw_marts")
        _register_helpers(con)
        _ensure_quality(con)
        existing = {
            r[0]
            for r in con.execute(
                "select table_name from information_schema.tables where table_schema = ?", [MART_SYSTEM]
            ).fetchall()
        }
        for key in chosen:
            c = contracts[key]
            con.execute(
                "delete from quality.failing_rows where run_id = ? and system = ? and table_name = ?",
                [run_id, c.system, c.table],
            )
            if c.table not in existing:
                report.results += [
                    _result(r, 0, 0, "skipped", f"mart {c.raw_table} missing") for r in c.rules
                ]
                continue
            pipe.add(c, list(c.rules), False, "null", say)
        return _complete(con, pipe, report, contracts, gx_results_dir, say, t_start)
    finally:
        _release(con, pipe, own)


def _complete(con, pipe, report: CheckReport, contracts, gx_results_dir, say, t_start: float) -> CheckReport:
    """The end of a check run: the last tables finished, GX results saved, results persisted."""
    pipe.finish()
    _save_gx_results(pipe, gx_results_dir, report, say)
    _persist(con, report, contracts)
    report.seconds_total = time.perf_counter() - t_start
    return report


class _SharedRelations:
    """Relations that rules of several tables read, built once per run when a table first needs
    them (so building them never delays the first, largest table):

    - the helper views of cross_system.yml (e.g. ``cdw_persons``: every valid ID number, python-stdnum
      over each distinct number), as temp tables;
    - the current version of a source table that OTHER tables' rules look up (``cur_<table>`` in
      their SQL, e.g. students for grades and bills), as a temp table in place of the view, when it
      has at most ``max_rows`` raw rows: otherwise every reader recomputed its window over raw.
      A table's own rules read it through the view (the checked rows are read once, by one query).
    """

    def __init__(
        self,
        con,
        contracts: dict[str, Contract],
        by_table: dict[str, list[Rule]],
        existing: set[str],
        sizes: dict[str, int],
        say,
        max_rows: int = 1_000_000,
    ):
        """``sizes``: raw table name -> estimated rows."""
        self.con, self.say = con, say
        self.helpers = load_helper_views()
        self._done: set[str] = set()
        self.names: list[str] = []  # temp tables created (dropped at the end of the run)
        self.materialise: set[str] = set()
        for key, c in contracts.items():
            if c.raw_name not in existing or (sizes.get(c.raw_name) or 0) > max_rows:
                continue
            name = "cur_" + c.raw_name
            others = [r for k, rs in by_table.items() if k != key for r in rs] + list(self.helpers.values())
            if any(_mentions(_sql_of(r), name) for r in others):
                self.materialise.add(name)

    def uses_helper(self, rules: Sequence[Rule]) -> bool:
        """Does any of ``rules`` read a helper view?"""
        return any(_mentions(_sql_of(r), h) for r in rules for h in self.helpers)

    def prepare_for(self, rules: Sequence[Rule]) -> None:
        for r in rules:
            self._ensure_in(_sql_of(r))

    def _ensure_in(self, sql: str) -> None:
        for name in sorted(self.materialise | set(self.helpers)):
            if name not in self._done and _mentions(sql, name):
                self._done.add(name)
                self._build(name)

    def _build(self, name: str) -> None:
        t0 = time.perf_counter()
        try:
            if name in self.helpers:
                self._ensure_in(self.helpers[name])  # what the helper reads first
                self.con.execute(f"create or replace temp table {quote(name)} as {self.helpers[name]}")
            else:
                self.con.execute(
                    f"create or replace temp table {quote(name + '__m')} as select * from {quote(name)}"
                )
                self.con.execute(f"drop view temp.main.{quote(name)}")
                self.con.execute(f"alter table temp.main.{quote(name + '__m')} rename to {quote(name)}")
        except duckdb.Error as exc:
            self.say("quality", "*", f"helper relation {name} unavailable: {exc}")
            return
        self.names.append(name)
        self.say("quality", "*", f"{name} built in {time.perf_counter() - t0:.2f} s")


TINY_TABLE_ROWS = 10_000


def _check_order(keys: list[str], rows: dict[str, int], by_table, shared: _SharedRelations) -> list[str]:
    """The order tables are prepared in.  Tiny tables that need no helper view go first (their
    rows take milliseconds to build, and GX validates them while this thread builds the largest
    table's rows: the GX process is otherwise idle then); then the largest first, so its long GX
    validation overlaps the DuckDB work of every other table instead of running alone at the end."""
    tiny = sorted(
        (k for k in keys if rows[k] <= TINY_TABLE_ROWS and not shared.uses_helper(by_table.get(k, []))),
        key=lambda k: rows[k],
    )
    rest = sorted((k for k in keys if k not in tiny), key=lambda k: -rows[k])
    return tiny + rest


def _sql_of(rule_or_sql) -> str:
    if isinstance(rule_or_sql, str):
        return rule_or_sql
    return str(rule_or_sql.params.get("sql") or "") if rule_or_sql.kind == "expression" else ""


def _mentions(sql: str, name: str) -> bool:
    return re.search(rf"(?<![A-Za-z0-9_]){re.escape(name)}(?![A-Za-z0-9_])", sql) is not None


def _release(con, pipe, own: bool, temp_tables=()) -> None:
    """Whatever a check run held, also when it failed: the GX worker, temp relations, the connection."""
    if pipe is not None:
        pipe.shutdown()
    with contextlib.suppress(duckdb.Error):
        con.execute("drop view if exists temp.main.cdw_t")
    for tmp in temp_tables:
        with contextlib.suppress(duckdb.Error):
            con.execute(f"drop table if exists temp.main.{quote(tmp)}")
    if own:
        con.close()


def _save_gx_results(pipe, out_dir: Path | None, report: CheckReport, say: Progress) -> None:
    if out_dir is None:
        return
    t0 = time.perf_counter()
    try:
        n = pipe.save_results(Path(out_dir))
        say("quality", "*", f"{n} GX validation results saved for the Data Docs")
    except Exception as exc:  # the docs are a report: never fail the checks for them
        say("quality", "*", f"could not save GX results for the Data Docs: {exc}")
    report.seconds_save_results += time.perf_counter() - t0


def _result(
    r: Rule, checked: int, failed: int, status: str, message: str = "", sample: list | None = None
) -> RuleResult:
    return RuleResult(
        rule_id=r.id,
        system=r.system,
        table_name=r.table,
        column_name=r.column,
        severity=r.severity,
        owner=r.owner,
        checked_rows=checked,
        failed_rows=failed,
        sample_keys=sample or [],
        status=status,
        message=message,
    )


@dataclass
class _Prepared:
    """A table's checked rows as Arrow (built by DuckDB on the caller's thread)."""

    contract: Contract
    rules: list[Rule]
    live: list[Rule]
    n_rows: int
    tbl: pa.Table | None
    seconds: float  # the table's own SQL and GX time (report.timings)
    changed_only: bool = False  # only the keys this run changed were checked (raw tables)


def _prepare_table(
    con,
    c: Contract,
    rules: list[Rule],
    run_id: str,
    changed_only: bool,
    now_sql: str,
    report: CheckReport,
    say,
) -> _Prepared:
    t_sql = time.perf_counter()
    if not c.is_mart:  # a view: the checked rows are read once, by the select that builds the Arrow table
        con.execute(f"create or replace temp view cdw_t as {_checked_sql(c, run_id, changed_only)}")
    broken: dict[str, str] = {}
    live = list(rules)
    schema, name = c.raw_table.split(".", 1)
    rows_hint = con.execute(
        "select estimated_size from duckdb_tables() where schema_name = ? and table_name = ?",
        [schema, name.strip('"')],
    ).fetchone()
    while True:
        try:
            tbl = _arrow(con.sql(_select_sql(c, live, now_sql)), rows_hint[0] if rows_hint else None)
            break
        except duckdb.Error:
            # isolate the rule(s) whose SQL cannot run, report them as 'error', keep the rest
            for r in [r for r in live if r.kind == "expression"]:
                try:
                    con.execute(
                        f"select bool_and({quote(ok_column(r.id))}) from ({_select_sql(c, [r], now_sql)})"
                    ).fetchall()
                except duckdb.Error as exc:
                    broken[r.id] = str(exc).splitlines()[0]
            if not broken or all(r.id not in broken for r in live):
                raise
            live = [r for r in live if r.id not in broken]
    if live:
        n_rows = tbl.num_rows
    else:
        n_rows = con.execute(f"select count(*) from {c.raw_table if c.is_mart else 'cdw_t'}").fetchone()[0]
    report.results += [_result(r, n_rows, 0, "error", broken[r.id]) for r in rules if r.id in broken]
    seconds = time.perf_counter() - t_sql
    report.seconds_sql += seconds
    say(c.system, c.table, f"{n_rows} rows, {len(live)} rules")
    return _Prepared(c, rules, live, n_rows, tbl if live else None, seconds, changed_only and not c.is_mart)


def _gx_counts(gx, ctx, ds, p: _Prepared, run_id: str) -> tuple[dict[str, tuple[int, int, str]], float]:
    """Great Expectations over the prepared table (pandas datasource, DataFrame from Arrow):
    (checked, unexpected, status) per rule id, and the seconds it took."""
    t_gx = time.perf_counter()
    c, n_rows = p.contract, p.n_rows
    # one chunk per column (see _arrow): GX filters the whole frame once per expectation, and
    # pyarrow's take over a chunked column costs 2-3x more (academic.cjxx: 2.4 s -> 0.9 s)
    tbl = p.tbl if all(col.num_chunks <= 1 for col in p.tbl.columns) else p.tbl.combine_chunks()
    df = tbl.to_pandas()
    del tbl
    asset = ds.add_dataframe_asset(name=c.key)
    batch_def = asset.add_batch_definition_whole_dataframe(f"{c.key}:{run_id}")
    suite = ctx.suites.add(build_suite(f"{c.key}", p.live))
    vd = ctx.validation_definitions.add(
        gx.ValidationDefinition(name=f"{c.key}:{run_id}", data=batch_def, suite=suite)
    )
    res = vd.run(batch_parameters={"dataframe": df}, result_format="BASIC")
    del df
    counts: dict[str, tuple[int, int, str]] = {}
    for er in res.results:
        rid = er.expectation_config.meta["rule_id"]
        if er.exception_info and er.exception_info.get("raised_exception"):
            counts[rid] = (n_rows, 0, "error:" + str(er.exception_info.get("exception_message"))[:300])
            continue
        rr = er.result or {}
        counts[rid] = (
            int(rr.get("element_count", n_rows) or 0),
            int(rr.get("unexpected_count", 0) or 0),
            "pass" if er.success else "fail",
        )
    return counts, time.perf_counter() - t_gx


def _finish_table(
    con,
    p: _Prepared,
    counts: dict[str, tuple[int, int, str]],
    run_id: str,
    report: CheckReport,
    max_failing_rows: int,
) -> float:
    """The failing rows of each failed rule, taken by DuckDB from the same Arrow table with the
    rule's SQL predicate (their count cross-checked against GX's); results into the report."""
    t_sql = time.perf_counter()
    c, n_rows = p.contract, p.n_rows
    con.register("cdw_chk", p.tbl)
    try:
        key_json = _key_json_sql(c)
        for r in p.live:
            checked, failed, status = counts.get(r.id, (n_rows, 0, "error:no result from GX"))
            if status.startswith("error:"):
                report.results.append(_result(r, checked, failed, "error", status[6:]))
                continue
            if failed == 0 and status == "pass":
                report.results.append(_result(r, checked, 0, "pass"))
                continue
            val = f"cast({quote(r.column)} as varchar)" if r.column else "null"
            pred = fail_predicate(r)
            inner = f"select {key_json} as source_key, {val} as value, ({pred}) as _f from cdw_chk"
            rid = r.id.replace("'", "''")
            reason = r.description.replace("'", "''")
            colname = "null" if r.column is None else "'" + r.column.replace("'", "''") + "'"
            # one pass over the rows: the failing ones (their count, the first max_failing_rows kept)
            con.execute(
                f"create or replace temp table cdw_fail as select source_key, value from ({inner}) where _f"
            )
            sql_n = con.execute("select count(*) from cdw_fail").fetchone()[0]
            if sql_n != failed:
                report.mismatches.append(f"{r.id}: GX counted {failed} failing rows, SQL {sql_n}")
            con.execute(
                f"insert into quality.failing_rows select '{run_id.replace(chr(39), chr(39) * 2)}', '{rid}', "
                f"'{c.system}', '{c.table}', source_key, {colname}, value, '{reason}' "
                f"from cdw_fail limit {int(max_failing_rows)}"
            )
            sample = [
                json.loads(x[0])
                for x in con.execute(f"select source_key from cdw_fail limit {SAMPLE_KEYS}").fetchall()
            ]
            report.results.append(_result(r, checked, failed, "fail" if failed else "pass", sample=sample))
    finally:
        con.unregister("cdw_chk")
        con.execute("drop table if exists temp.main.cdw_fail")
    seconds = time.perf_counter() - t_sql
    report.seconds_sql += seconds
    return seconds


def _carry_forward(con, p: _Prepared, run_id: str, report: CheckReport) -> float:
    """After checking only the keys a run changed, make the run's results the table's whole state:
    the failing rows of the table's previous checked run whose keys this run did not re-check and
    that are still current are copied to this run, and each rule's counts become (checked = every
    current row, failed = new + carried).  So the latest run always says what is open now (the
    stewards' scorecards, exports and trends), while only changed rows were validated.  Caveat: a
    rule over another table (a reference) is re-evaluated for a row only when that row changes,
    or at the next full check (every run after one that did not publish, and `--full` runs)."""
    t0 = time.perf_counter()
    c = p.contract
    prev = con.execute(
        "select run_id from quality.check_results where system = ? and table_name = ? and run_id <> ? "
        "order by checked_at desc limit 1",
        [c.system, c.table, run_id],
    ).fetchone()
    current = con.execute(f"select count(*) from cur_{c.raw_name}").fetchone()[0]
    mine = {
        r.rule_id: r
        for r in report.results
        if r.system == c.system and r.table_name == c.table and r.status in ("pass", "fail")
    }
    carried: dict[str, int] = {}
    samples: dict[str, list] = {}
    if prev is not None and mine:
        key_json = _key_json_sql(c)
        con.register("cdw_chk", p.tbl)
        try:
            con.execute(
                f"""create or replace temp table cdw_carry as
                select f.* exclude (run_id) from quality.failing_rows as f
                where f.run_id = ? and f.system = ? and f.table_name = ?
                  and f.rule_id in (select unnest(?::varchar[]))
                  and cast(f.source_key as varchar) not in (select cast({key_json} as varchar) from cdw_chk)
                  and cast(f.source_key as varchar) in (select cast({key_json} as varchar) from cur_{c.raw_name})""",
                [prev[0], c.system, c.table, list(mine)],
            )
        finally:
            con.unregister("cdw_chk")
        con.execute(
            "insert into quality.failing_rows select ?, rule_id, system, table_name, source_key, column_name, "
            "value, reason from cdw_carry",
            [run_id],
        )
        carried = dict(con.execute("select rule_id, count(*) from cdw_carry group by rule_id").fetchall())
        for rid, key in con.execute(
            f"select rule_id, source_key from (select *, row_number() over (partition by rule_id) as n "
            f"from cdw_carry) where n <= {SAMPLE_KEYS}"
        ).fetchall():
            samples.setdefault(rid, []).append(json.loads(key))
        con.execute("drop table if exists cdw_carry")
    for rid, r in mine.items():
        r.checked_rows = current
        r.failed_rows += carried.get(rid, 0)
        r.sample_keys = (r.sample_keys + samples.get(rid, []))[:SAMPLE_KEYS]
        r.status = "fail" if r.failed_rows else "pass"
    seconds = time.perf_counter() - t0
    report.seconds_sql += seconds
    return seconds


def _start_gx(datasource: str):
    """GX imported, an ephemeral context (no progress bars) and its pandas datasource."""
    gx = import_gx()
    ctx = gx.get_context(mode="ephemeral")
    from great_expectations.data_context.types.base import ProgressBarsConfig

    ctx.variables.progress_bars = ProgressBarsConfig(globally=False)
    return gx, ctx, ctx.data_sources.add_pandas(datasource)


# ----------------------------------------------------------------- GX in a child process (default)
# One GX process per Python process, started by the first check run and kept for the next ones (the
# raw checks, the mart checks and the Data Docs of a Dagster run share it: GX is imported once).
# It validates each prepared table from an Arrow IPC file (memory-mapped, no copy); each check run
# has its own GX context there (``token``), dropped when the run ends.
_CHILD: dict[str, Any] = {}
# A raw table this run changed no row of is not sent to GX (see _CheckPipeline.add); a test turns
# this off to compare with what GX itself reports.
SKIP_GX_WITHOUT_CHANGES = True
_GX_POOL: Any = None
_GX_POOL_LOCK = threading.Lock()
GX_IN_PROCESS_ENV = "CAMPUS_DW_GX_IN_PROCESS"


def _child_init() -> None:
    import_gx()


def _child_begin(token: str, datasource: str) -> None:
    _CHILD[token] = _start_gx(datasource)


def _child_validate(token: str, path: str, p: _Prepared, run_id: str):
    gx, ctx, ds = _CHILD[token]
    source = pa.memory_map(path)
    try:
        p.tbl = pa.ipc.open_file(source).read_all()
        return _gx_counts(gx, ctx, ds, p, run_id)
    finally:
        p.tbl = None
        source.close()


def _child_save(token: str, out_dir: str) -> int:
    from data_contracts.data_docs import save_results

    return save_results(_CHILD[token][1], Path(out_dir))


def _child_end(token: str) -> None:
    import gc

    _CHILD.pop(token, None)
    gc.collect()


def gx_in_process() -> bool:
    """``CAMPUS_DW_GX_IN_PROCESS=1``: run GX on a thread of this process (same results; debugging)."""
    import os

    return os.environ.get(GX_IN_PROCESS_ENV, "") not in ("", "0")


def gx_pool():
    """The GX process of this Python process (spawned on first use, again if it died)."""
    global _GX_POOL
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    with _GX_POOL_LOCK:
        if _GX_POOL is None or getattr(_GX_POOL, "_broken", False):
            _GX_POOL = ProcessPoolExecutor(
                max_workers=1,
                mp_context=multiprocessing.get_context(
                    "spawn"
                ),  # never fork a process running DuckDB threads
                initializer=_child_init,
            )
        return _GX_POOL


def _child_ready() -> bool:
    return True


def prestart_gx() -> None:
    """Start the GX process now, without waiting for it: a run calls this before extracting, so that
    GX's import (6-7 s of one core here) overlaps the extraction instead of delaying the checks."""
    if not gx_in_process():
        gx_pool().submit(_child_ready)


def run_with_gx(fn: Callable[..., Any], *args: Any) -> Any:
    """``fn(*args)`` where GX is already imported: in the GX process (``fn`` must be a module-level
    function with picklable arguments), or here when GX runs in process."""
    if gx_in_process():
        return fn(*args)
    return gx_pool().submit(fn, *args).result()


def _exchange_dir() -> str:
    """Where prepared tables are handed to the GX process: shared memory when there is room."""
    import shutil
    import tempfile

    shm = Path("/dev/shm")
    with contextlib.suppress(OSError):
        if shm.is_dir() and shutil.disk_usage(shm).free > 4 << 30:
            return tempfile.mkdtemp(prefix="campus-dw-gx-", dir=shm)
    return tempfile.mkdtemp(prefix="campus-dw-gx-")


class _CheckPipeline:
    """Checks tables with SQL and GX overlapped.  DuckDB work (building a table's Arrow rows, then
    its failing rows) stays on the caller's thread and connection.  GX runs in the GX process (see
    above): GX is pure-Python work, and in the same process it shares one interpreter lock with
    everything else of the run (python-stdnum, result handling), so the two cores were never both
    busy (academic.cjxx's GX validation took 2.7 s alone, 3.4 s alongside the other tables' work).
    Each prepared table reaches the GX process as an Arrow IPC file in shared memory (0.25 s for
    600 MB, memory-mapped there without a copy).  ``CAMPUS_DW_GX_IN_PROCESS=1`` runs GX on a thread
    of this process instead (same results; for debugging).

    The caller keeps preparing the next tables while GX validates the earlier ones (the largest
    table goes first, so its long GX run overlaps the DuckDB work of all the others), and finishes a
    table as soon as its GX result is there.  Prepared Arrow tables waiting for GX are held up to
    ``max_waiting_bytes``."""

    def __init__(
        self,
        con,
        report: CheckReport,
        run_id: str,
        max_failing_rows: int,
        datasource: str,
        max_waiting_bytes: int = 1 << 30,
    ) -> None:
        from concurrent.futures import ThreadPoolExecutor

        self.con, self.report, self.run_id, self.max_failing_rows = con, report, run_id, max_failing_rows
        self.max_waiting_bytes = max_waiting_bytes
        self._large_setting = con.execute("select current_setting('arrow_large_buffer_size')").fetchone()[0]
        con.execute("set arrow_large_buffer_size = true")  # see _arrow
        self._pending: list[tuple[_Prepared, Any, str | None]] = []
        self._dir: str | None = None
        self._seq = itertools.count()
        self._token = uuid.uuid4().hex
        self.in_process = gx_in_process()
        if self.in_process:
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="campus-dw-gx")
            self._gx = self._pool.submit(_start_gx, datasource)
        else:
            self._pool = gx_pool()  # the first check run of this process starts it: GX imports meanwhile
            self._gx = self._pool.submit(_child_begin, self._token, datasource)
            self._dir = _exchange_dir()

    def _validate_here(self, p: _Prepared):
        gx, ctx, ds = self._gx.result()
        return _gx_counts(gx, ctx, ds, p, self.run_id)

    def add(self, c: Contract, rules: list[Rule], changed_only: bool, now_sql: str, say) -> None:
        p = _prepare_table(self.con, c, rules, self.run_id, changed_only, now_sql, self.report, say)
        fut, path = None, None
        if p.live and p.changed_only and p.n_rows == 0 and SKIP_GX_WITHOUT_CHANGES:
            # this run changed no row of the table: every rule (all are column-value rules) passes
            # on no rows, which is what GX reports for an empty batch; the carry-forward then
            # brings the earlier runs' failures.  Not sent to GX (0.3-0.5 s per table here).
            fut = Future()
            fut.set_result(({r.id: (0, 0, "pass") for r in p.live}, 0.0))
        elif p.live and self.in_process:
            fut = self._pool.submit(self._validate_here, p)
        elif p.live:
            path = str(Path(self._dir or ".") / f"{next(self._seq)}.arrow")
            with pa.OSFile(path, "wb") as sink, pa.ipc.new_file(sink, p.tbl.schema) as writer:
                writer.write_table(p.tbl)
            fut = self._pool.submit(
                _child_validate, self._token, path, dataclasses.replace(p, tbl=None), self.run_id
            )
        self._pending.append((p, fut, path))
        # finish what GX is done with; wait only when too much prepared data is waiting
        while self._pending and (
            self._pending[0][1] is None
            or self._pending[0][1].done()
            or self._waiting_bytes() > self.max_waiting_bytes
        ):
            self._finish_first()

    def _waiting_bytes(self) -> int:
        return sum(p.tbl.nbytes for p, _, _ in self._pending if p.tbl is not None)

    def _finish_first(self) -> None:
        p, fut, path = self._pending.pop(0)
        seconds = p.seconds
        if fut is not None:
            try:
                self._gx.result()  # a failure to start GX is reported as such
                counts, gx_s = fut.result()
            except BrokenProcessPool as exc:
                raise RuntimeError(
                    f"the Great Expectations process stopped while validating {p.contract.key}"
                    f" ({exc}); set {GX_IN_PROCESS_ENV}=1 to run GX inside this process"
                ) from exc
            finally:
                if path:
                    with contextlib.suppress(OSError):
                        Path(path).unlink()
            self.report.seconds_gx += gx_s
            seconds += gx_s + _finish_table(
                self.con, p, counts, self.run_id, self.report, self.max_failing_rows
            )
            if p.changed_only:
                seconds += _carry_forward(self.con, p, self.run_id, self.report)
        p.tbl = None  # done with its rows
        self.report.timings[p.contract.key] = seconds

    def finish(self) -> None:
        """Finish every table (GX results in, failing rows taken)."""
        while self._pending:
            self._finish_first()

    def save_results(self, out_dir: Path) -> int:
        """Save the run's GX validation results for the Data Docs (data_docs.save_results)."""
        if self.in_process:
            from data_contracts.data_docs import save_results

            return save_results(self._gx.result()[1], out_dir)
        return self._pool.submit(_child_save, self._token, str(out_dir)).result()

    def shutdown(self) -> None:
        if self.in_process:
            self._pool.shutdown(wait=True, cancel_futures=True)
        else:  # the GX process stays for the next check run of this process
            for _, fut, _ in self._pending:
                if fut is not None:
                    fut.cancel()
            with contextlib.suppress(Exception):
                self._pool.submit(_child_end, self._token)
        if self._dir:
            import shutil

            shutil.rmtree(self._dir, ignore_errors=True)
        with contextlib.suppress(duckdb.Error):
            self.con.execute(f"set arrow_large_buffer_size = {str(bool(self._large_setting)).lower()}")


def _ensure_quality(con: duckdb.DuckDBPyConnection) -> None:
    for ddl in QUALITY_DDL:
        con.execute(ddl)


def _persist(con: duckdb.DuckDBPyConnection, report: CheckReport, contracts: dict[str, Contract]) -> None:
    """Write quality.check_results for the run (failing rows were inserted while checking)."""
    _ensure_quality(con)
    ids = [r.rule_id for r in report.results]
    rid = report.run_id
    con.execute(
        "delete from quality.check_results where run_id = ? and rule_id in (select unnest(?::varchar[]))",
        [rid, ids],
    )
    rows = {
        "run_id": [rid] * len(ids),
        "checked_at": [report.checked_at] * len(ids),
        "rule_id": ids,
        "system": [r.system for r in report.results],
        "table_name": [r.table_name for r in report.results],
        "column_name": [r.column_name for r in report.results],
        "severity": [r.severity for r in report.results],
        "owner": [r.owner for r in report.results],
        "checked_rows": [r.checked_rows for r in report.results],
        "failed_rows": [r.failed_rows for r in report.results],
        "failure_rate": [r.failure_rate for r in report.results],
        "sample_keys": [json.dumps(r.sample_keys, ensure_ascii=False) for r in report.results],
        "status": [r.status for r in report.results],
    }
    tbl = pa.table(rows)
    con.register("cdw_results", tbl)
    try:
        con.execute(
            "insert into quality.check_results select run_id, checked_at, rule_id, system, table_name, "
            "column_name, severity, owner, checked_rows, failed_rows, failure_rate, sample_keys::json, status "
            "from cdw_results"
        )
    finally:
        con.unregister("cdw_results")
