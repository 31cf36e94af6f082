"""What the Data quality page and the stewards' xlsx export read, from the QUALITY snapshot only.

Plain Python (no Streamlit): the page caches these calls on the snapshot key, and
``campus-dw quality --export-xlsx`` calls them directly.  ``reader`` is anything with
``query(sql, params) -> pyarrow.Table`` over the published quality snapshot (a
:class:`dashboards.snapshot.SnapshotReader` of kind ``quality``).

Tables read (docs/data-standards.md): ``quality.check_results`` (one row per run and rule),
``quality.failing_rows`` and ``raw._quarantine``.  The "latest run" is the run checked last, as
``campus-dw quality`` picks it (``data_contracts.report.quality_report``).

Masking is never done here by hand: :func:`mask_failing` and :func:`mask_quarantine` call
``data_contracts.masking`` (personal fields are masked for everyone but the owning steward).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from typing import Any

import pandas as pd
import pyarrow as pa

SEVERITY_ORDER = {"blocking": 0, "error": 1, "warn": 2}
NOT_PASSING = ("fail", "error")  # statuses that make a rule an open problem
SYSTEMS = ("academic", "hr", "finance", "payment", "marts")


def _df(table: pa.Table) -> pd.DataFrame:
    ints = {pa.int8(), pa.int16(), pa.int32(), pa.int64(), pa.uint8(), pa.uint16(), pa.uint32()}
    return table.to_pandas(types_mapper=lambda t: pd.Int64Dtype() if t in ints else None)


def _q(reader: Any, sql: str, params: list | None = None) -> pd.DataFrame:
    return _df(reader.query(sql, params or []))


def tables_present(reader: Any) -> set[str]:
    """``schema.table`` names in the snapshot."""
    df = _q(reader, "select table_schema || '.' || table_name as t from information_schema.tables")
    return set(df["t"])


# -- runs and results ----------------------------------------------------------------------------------


def runs(reader: Any) -> pd.DataFrame:
    """Every checked run, oldest first: run_id, checked_at, rules, failed_rules."""
    if "quality.check_results" not in tables_present(reader):
        return pd.DataFrame({"run_id": [], "checked_at": [], "rules": [], "failed_rules": []})
    return _q(
        reader,
        "select run_id, max(checked_at) as checked_at, count(*) as rules, "
        "count(*) filter (where status in ('fail', 'error')) as failed_rules "
        "from quality.check_results group by run_id order by max(checked_at), run_id",
    )


def latest_run(reader: Any) -> str | None:
    """The run checked last (as ``campus-dw quality`` picks it), None when nothing was checked."""
    if "quality.check_results" not in tables_present(reader):
        return None
    df = _q(reader, "select run_id from quality.check_results order by checked_at desc limit 1")
    return None if df.empty else str(df.iloc[0]["run_id"])


def results(reader: Any, run_id: str) -> pd.DataFrame:
    """``quality.check_results`` of one run, failures first, most severe first."""
    df = _q(
        reader,
        "select rule_id, system, table_name, column_name, severity, owner, status, checked_rows, "
        "failed_rows, failure_rate, cast(sample_keys as varchar) as sample_keys, checked_at "
        "from quality.check_results where run_id = ?",
        [run_id],
    )
    df["checked_rows"] = df["checked_rows"].fillna(0).astype("int64")
    df["failed_rows"] = df["failed_rows"].fillna(0).astype("int64")
    df["_sev"] = df["severity"].map(SEVERITY_ORDER).fillna(9)
    df["_pass"] = ~df["status"].isin(NOT_PASSING)
    df = df.sort_values(["_pass", "_sev", "system", "table_name", "rule_id"]).drop(columns=["_sev", "_pass"])
    return df.reset_index(drop=True)


def trend_by_system(reader: Any) -> pd.DataFrame:
    """Per run and system: checked and failed row-checks, failure rate, failing rules."""
    return _q(
        reader,
        "select run_id, max(checked_at) as checked_at, system, sum(checked_rows) as checked_rows, "
        "sum(failed_rows) as failed_rows, count(*) filter (where status in ('fail', 'error')) as failed_rules, "
        "case when sum(checked_rows) > 0 then sum(failed_rows) / sum(checked_rows) end as failure_rate "
        "from quality.check_results where status <> 'skipped' group by run_id, system "
        "order by max(checked_at), system",
    )


def trend_by_rule(reader: Any, rule_ids: list[str]) -> pd.DataFrame:
    """Per run for the given rules: checked_rows, failed_rows, failure_rate, status."""
    if not rule_ids:
        return pd.DataFrame(
            {"run_id": [], "checked_at": [], "rule_id": [], "checked_rows": [], "failed_rows": []}
        )
    return _q(
        reader,
        "select run_id, checked_at, rule_id, checked_rows, failed_rows, failure_rate, status "
        "from quality.check_results where rule_id in (select unnest(?::varchar[])) and status <> 'skipped' "
        "order by checked_at, rule_id",
        [list(rule_ids)],
    )


def failing_count(reader: Any, run_id: str, rule_id: str) -> int:
    df = _q(
        reader,
        "select count(*) as n from quality.failing_rows where run_id = ? and rule_id = ?",
        [run_id, rule_id],
    )
    return int(df.iloc[0]["n"])


def failing_rows(reader: Any, run_id: str, rule_ids: list[str], limit: int | None = None) -> pd.DataFrame:
    """Failing rows (UNMASKED: pass them through :func:`mask_failing` before showing them)."""
    cols = ["rule_id", "system", "table_name", "source_key", "column_name", "value", "reason"]
    if not rule_ids or "quality.failing_rows" not in tables_present(reader):
        return pd.DataFrame({c: [] for c in cols})
    sql = (
        "select rule_id, system, table_name, cast(source_key as varchar) as source_key, column_name, value, "
        "reason from quality.failing_rows where run_id = ? and rule_id in (select unnest(?::varchar[])) "
        "order by rule_id, cast(source_key as varchar)"
    )
    if limit is not None:
        sql += f" limit {int(limit)}"
    return _q(reader, sql, [run_id, list(rule_ids)])


def quarantine(reader: Any, *, open_only: bool = True) -> pd.DataFrame:
    """``raw._quarantine`` (UNMASKED: see :func:`mask_quarantine`), newest first, with its owner."""
    cols = [
        "quarantine_id",
        "system",
        "table_name",
        "owner",
        "source_ref",
        "reason",
        "record",
        "run_id",
        "quarantined_at",
        "released_at",
    ]
    if "raw._quarantine" not in tables_present(reader):
        return pd.DataFrame({c: [] for c in cols})
    where = " where released_at is null" if open_only else ""
    df = _q(
        reader,
        "select quarantine_id, system, table_name, source_ref, reason, record, run_id, quarantined_at, "
        f"released_at from raw._quarantine{where} order by quarantined_at desc, quarantine_id desc",
    )
    df["owner"] = [table_owner(s, t) for s, t in zip(df["system"], df["table_name"], strict=True)]
    return df[cols]


# -- scorecards -------------------------------------------------------------------------------------------

SCORE_COLUMNS = [
    "rules_checked",
    "rules_failed",
    "blocking_failed",
    "error_failed",
    "warn_failed",
    "checked_rows",
    "failed_rows",
    "failure_rate",
    "worst_severity",
]


def scorecard(res: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Per group: rules checked (status not skipped), rules failed (fail/error), failed rules per
    severity, checked and failed row-checks (a row failing two rules counts twice), failure rate
    (failed / checked row-checks) and the most severe failing severity."""
    df = res[res["status"] != "skipped"].copy()
    if df.empty:
        return pd.DataFrame(columns=[*by, *SCORE_COLUMNS])
    df["_failed"] = df["status"].isin(NOT_PASSING)
    for sev in SEVERITY_ORDER:
        df[f"{sev}_failed"] = df["_failed"] & (df["severity"] == sev)
    df["_sev"] = df["severity"].map(SEVERITY_ORDER).where(df["_failed"])
    g = df.groupby(by, dropna=False, sort=True).agg(
        rules_checked=("rule_id", "count"),
        rules_failed=("_failed", "sum"),
        blocking_failed=("blocking_failed", "sum"),
        error_failed=("error_failed", "sum"),
        warn_failed=("warn_failed", "sum"),
        checked_rows=("checked_rows", "sum"),
        failed_rows=("failed_rows", "sum"),
        _sev=("_sev", "min"),
    )
    g = g.reset_index()
    g["failure_rate"] = [
        f / c if c else None for f, c in zip(g["failed_rows"], g["checked_rows"], strict=True)
    ]
    inverse = {v: k for k, v in SEVERITY_ORDER.items()}
    g["worst_severity"] = g["_sev"].map(lambda s: inverse.get(int(s)) if pd.notna(s) else None)
    for c in ("rules_checked", "rules_failed", "blocking_failed", "error_failed", "warn_failed"):
        g[c] = g[c].astype("int64")
    g["checked_rows"] = g["checked_rows"].astype("int64")
    g["failed_rows"] = g["failed_rows"].astype("int64")
    g = g.sort_values(["rules_failed", "failed_rows"], ascending=False, kind="stable")
    return g[[*by, *SCORE_COLUMNS]].reset_index(drop=True)


def for_viewer(df: pd.DataFrame, viewer: str | None, column: str = "owner") -> pd.DataFrame:
    """A steward sees their own system only; without a role, everything (masked)."""
    if viewer is None or df.empty:
        return df
    return df[df[column] == viewer].reset_index(drop=True)


# -- contracts: guidance, owners, masking --------------------------------------------------------------


@dataclass(frozen=True)
class Guidance:
    rule_id: str
    description: str
    what: str
    why: str
    how: str
    natural_quirk: str | None
    origin: str


def _sentences(text: str) -> list[str]:
    text = " ".join(text.split())
    if not text:
        return []
    parts = re.split(r"(?<=[。！？])|(?<=[.!?])\s+", text)
    return [p.strip() for p in parts if p and p.strip()]


def split_fix(text: str) -> tuple[str, str, str]:
    """A contract's fix guidance (what it is; why it matters; how to fix it, in that order, as the
    contracts write it) split into (what, why, how): the first sentence, the middle, the last."""
    s = _sentences(text)
    if not s:
        return "", "", ""
    if len(s) == 1:
        return s[0], "", ""
    if len(s) == 2:
        return s[0], "", s[1]
    joiner = "" if not s[0].isascii() else " "
    return s[0], joiner.join(s[1:-1]), s[-1]


@cache
def _rules() -> dict[str, Any]:
    from data_contracts import loader

    rules = {r.id: r for r in loader.all_rules()}
    marts = getattr(loader, "load_mart_contracts", None)
    if marts is not None:
        try:
            for c in marts().values():
                for r in c.rules:
                    rules.setdefault(r.id, r)
        except Exception:  # a mart contract problem must not hide the source guidance
            pass
    return rules


def guidance(rule_id: str, lang: str) -> Guidance | None:
    """Fix guidance of a rule from its contract (data_contracts.loader), in ``lang`` (en falls back
    to zh and back); None for a rule no contract knows any more."""
    rule = _rules().get(rule_id)
    if rule is None:
        return None
    text = (rule.fix.en or rule.fix.zh) if lang == "en" else (rule.fix.zh or rule.fix.en)
    what, why, how = split_fix(text)
    return Guidance(rule_id, rule.description, what, why, how, rule.natural_quirk, rule.origin)


def owner_names() -> dict[str, tuple[str, str]]:
    from data_contracts.loader import OWNERS

    return dict(OWNERS)


def owner_label(owner: str | None, lang: str) -> str:
    if owner is None:
        return "—"
    names = owner_names().get(owner)
    if names is None:
        return owner
    return names[0] if lang == "zh" else names[1]


def table_owner(system: Any, table: Any) -> str | None:
    from data_contracts.loader import SYSTEM_OWNER
    from data_contracts.masking import table_owner as contract_owner

    owner = contract_owner(str(system or ""), str(table or ""))
    return owner if owner is not None else SYSTEM_OWNER.get(str(system or ""))


def table_description(system: str, table: str) -> str:
    from data_contracts.masking import contract_for

    c = contract_for(system, table)
    return c.description if c is not None else ""


def mask_failing(df: pd.DataFrame, viewer: str | None) -> pd.DataFrame:
    """Failing rows as ``viewer`` may see them (data_contracts.masking.mask_quality_rows)."""
    from data_contracts.masking import mask_quality_rows

    if df.empty:
        return df
    rows = mask_quality_rows(df.to_dict("records"), viewer)
    return pd.DataFrame(rows, columns=df.columns)


def mask_samples(df: pd.DataFrame, viewer: str | None) -> pd.DataFrame:
    """check_results rows with ``sample_keys`` masked for ``viewer``."""
    from data_contracts.masking import mask_quality_rows

    if df.empty or "sample_keys" not in df.columns:
        return df
    rows = mask_quality_rows(df.to_dict("records"), viewer)
    return pd.DataFrame(rows, columns=df.columns)


def mask_quarantine(df: pd.DataFrame, viewer: str | None) -> pd.DataFrame:
    """Quarantined rows as ``viewer`` may see them: the personal fields of the record (the row as
    delivered, JSON) are masked through data_contracts.masking unless ``viewer`` owns the table; a
    record that is not a JSON object (a raw file line) of a table with personal columns, or of a
    table no contract knows, is masked completely."""
    from data_contracts.masking import FULL_MASK, contract_for, mask_failing_rows, may_see_personal

    if df.empty:
        return df
    out = df.copy()
    records = []
    for system, table, record in zip(out["system"], out["table_name"], out["record"], strict=True):
        c = contract_for(str(system), str(table))
        owner = c.owner if c is not None else table_owner(system, table)
        if record is None or may_see_personal(viewer, owner):
            records.append(record)
            continue
        if c is None:
            records.append(FULL_MASK)
            continue
        if not c.personal_columns:
            records.append(record)
            continue
        try:
            is_object = isinstance(json.loads(record), dict)
        except (TypeError, ValueError):
            is_object = False
        if not is_object:
            records.append(FULL_MASK)
            continue
        masked = mask_failing_rows(
            [{"column_name": None, "value": None, "source_key": record}], c, viewer, c.owner
        )
        records.append(masked[0]["source_key"])
    out["record"] = records
    return out
