"""Analysts' ad-hoc SQL on the serving snapshot: read-only, no file or network access.

The snapshot is opened read-only with ``enable_external_access = false`` and the
configuration locked, so a query can neither write, read other files, attach databases,
nor load extensions.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import duckdb


class SqlError(Exception):
    """A query the sandbox refused or DuckDB could not run; the message is for the analyst."""


def open_sandbox(snapshot: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(
        str(snapshot),
        read_only=True,
        config={
            "enable_external_access": False,
            "autoinstall_known_extensions": False,
            "autoload_known_extensions": False,
        },
    )
    con.execute("set lock_configuration = true")
    return con


def run_sandboxed_sql(snapshot: Path, query: str, *, limit: int = 1000, fmt: str = "table") -> str:
    con = open_sandbox(snapshot)
    try:
        try:
            cur = con.execute(query)
        except duckdb.Error as exc:
            raise SqlError(str(exc)) from None
        if cur.description is None:
            return ""
        cols = [d[0] for d in cur.description]
        rows = cur.fetchmany(limit)
    finally:
        con.close()
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
    lines.append(
        f"({len(rows)} row{'s' if len(rows) != 1 else ''}{', limited' if len(rows) == limit else ''})"
    )
    return "\n".join(lines)
