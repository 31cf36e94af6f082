"""The quality report: one entry per rule for a run (default: the latest), as JSON or a text table.

``quality_report(source, run_id=None)`` reads ``quality.check_results`` from the working warehouse
or the stewards' quality snapshot (a path or an open DuckDB connection) -- no Great Expectations
import, so ``campus-dw quality`` starts fast. ``format_report(entries, fmt)`` renders it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb

FIELDS = (
    "rule_id",
    "system",
    "table",
    "column",
    "severity",
    "status",
    "checked_rows",
    "failed_rows",
    "failure_rate",
    "owner",
    "sample_keys",
)
_SEVERITY_ORDER = {"blocking": 0, "error": 1, "warn": 2}


def quality_report(
    quality_snapshot_or_warehouse_path: str | Path | duckdb.DuckDBPyConnection, run_id: str | None = None
) -> list[dict[str, Any]]:
    """One dict per rule of ``run_id`` (default: the run checked last), failures first."""
    src = quality_snapshot_or_warehouse_path
    own = not isinstance(src, duckdb.DuckDBPyConnection)
    con = duckdb.connect(str(src), read_only=True) if own else src
    try:
        has = con.execute(
            "select count(*) from information_schema.tables where table_schema = 'quality' "
            "and table_name = 'check_results'"
        ).fetchone()[0]
        if not has:
            return []
        if run_id is None:
            row = con.execute(
                "select run_id from quality.check_results order by checked_at desc limit 1"
            ).fetchone()
            if row is None:
                return []
            run_id = row[0]
        rows = con.execute(
            "select rule_id, system, table_name, column_name, severity, status, checked_rows, failed_rows, "
            "failure_rate, owner, sample_keys from quality.check_results where run_id = ?",
            [run_id],
        ).fetchall()
    finally:
        if own:
            con.close()
    out = []
    for r in rows:
        d = dict(zip(FIELDS, r, strict=True))
        d["table"] = f"{d['system']}.{d['table']}"
        d["sample_keys"] = (
            json.loads(d["sample_keys"]) if isinstance(d["sample_keys"], str) else d["sample_keys"]
        )
        d["run_id"] = run_id
        out.append(d)
    out.sort(
        key=lambda d: (d["status"] == "pass", _SEVERITY_ORDER.get(d["severity"], 9), d["table"], d["rule_id"])
    )
    return out


def format_report(entries: list[dict[str, Any]], fmt: str = "json") -> str:
    """``fmt='json'``: a JSON array; ``fmt='table'``: an aligned text table (failures first)."""
    if fmt == "json":
        return json.dumps(entries, ensure_ascii=False, indent=2, default=str)
    if fmt != "table":
        raise ValueError(f"unknown format {fmt!r}; use 'json' or 'table'")
    if not entries:
        return "no quality results"
    cols = [
        ("rule_id", "rule"),
        ("table", "table"),
        ("column", "column"),
        ("severity", "severity"),
        ("status", "status"),
        ("checked_rows", "checked"),
        ("failed_rows", "failed"),
        ("owner", "owner"),
    ]
    cells = [[h for _, h in cols]] + [
        ["" if e.get(k) is None else str(e.get(k)) for k, _ in cols] for e in entries
    ]

    def width(s: str) -> int:  # CJK characters take two columns in a terminal
        return sum(2 if ord(ch) > 0x2E80 else 1 for ch in s)

    widths = [max(width(row[i]) for row in cells) for i in range(len(cols))]
    right = {"checked", "failed"}
    lines = []
    for n, row in enumerate(cells):
        parts = []
        for i, v in enumerate(row):
            pad = " " * (widths[i] - width(v))
            parts.append(pad + v if cols[i][1] in right and n else v + pad)
        lines.append("  ".join(parts).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    failed = sum(1 for e in entries if e["status"] != "pass")
    lines.append(f"\nrun {entries[0].get('run_id')}: {len(entries)} rules, {failed} not passing")
    return "\n".join(lines)
