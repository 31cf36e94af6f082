"""Run every extractor: ``extract_all(warehouse, settings, mode=..., run_id=...)``.

One system failing (source down, bad token, ...) does not stop the others; the report says which
system or table failed and why.  Plain Python: the Dagster assets and the CLI both call this.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Literal

import duckdb

from extractors.bookkeeping import Progress, TableLoadResult, beijing_now, write_load_log
from extractors.database import extract_database
from extractors.duckdb_setup import connect
from extractors.finance import extract_finance
from extractors.payment import extract_payment
from extractors.raw_schema import create_raw_schema
from orchestration.settings import Settings

SYSTEMS = ("academic", "hr", "finance", "payment")


@dataclass
class ExtractionReport:
    run_id: str
    mode: str
    started_at: datetime
    finished_at: datetime | None = None
    results: list[TableLoadResult] = field(default_factory=list)
    system_errors: dict[str, str] = field(default_factory=dict)  # system -> why it could not run at all

    @property
    def failed_tables(self) -> list[TableLoadResult]:
        return [r for r in self.results if r.status == "failed"]

    @property
    def failed_systems(self) -> list[str]:
        out = list(self.system_errors)
        out += sorted({r.system for r in self.failed_tables} - set(out))
        return out

    @property
    def ok(self) -> bool:
        return not self.system_errors and not self.failed_tables

    def errors(self) -> list[str]:
        msgs = [f"{s}: {m}" for s, m in self.system_errors.items()]
        msgs += [r.message for r in self.failed_tables]
        return msgs

    def totals(self) -> dict[str, int]:
        keys = ("rows_read", "rows_landed", "rows_new_versions", "rows_quarantined", "rows_deleted")
        return {k: sum(getattr(r, k) for r in self.results) for k in keys}

    def summary(self) -> str:
        t = self.totals()
        head = (
            f"extraction {self.run_id} ({self.mode}): {len(self.results)} tables, {t['rows_read']} rows read,"
            f" {t['rows_new_versions']} new versions, {t['rows_deleted']} deletes, {t['rows_quarantined']} quarantined"
        )
        errs = self.errors()
        return head + ("" if not errs else "\nFAILED:\n  " + "\n  ".join(errs))

    def as_dict(self) -> dict:
        return {
            "run_id": self.run_id,
            "mode": self.mode,
            "ok": self.ok,
            "started_at": str(self.started_at),
            "finished_at": str(self.finished_at),
            "system_errors": dict(self.system_errors),
            "results": [r.as_dict() for r in self.results],
            "totals": self.totals(),
        }


def extract_all(
    warehouse: str | os.PathLike[str] | duckdb.DuckDBPyConnection,
    settings: Settings,
    *,
    mode: Literal["full", "incremental"],
    run_id: str,
    systems: Sequence[str] | None = None,
    progress: Progress | None = None,
    now: datetime | None = None,
    detect_deletes: bool | None = None,
) -> ExtractionReport:
    """Extract every source system (or ``systems``) into the warehouse's raw layer.

    ``warehouse`` is the warehouse file path or an open DuckDB connection (opened with
    ``extractors.duckdb_setup.connect`` so that the scanner extensions load offline).  ``now``
    (naive Beijing time) overrides the extraction start clock for the databases (the demo college's
    fixed clock).  Returns an :class:`ExtractionReport`; never raises for a source problem.
    """
    chosen = list(systems) if systems else list(SYSTEMS)
    unknown = [s for s in chosen if s not in SYSTEMS]
    if unknown:
        raise ValueError(f"unknown systems: {', '.join(unknown)} (known: {', '.join(SYSTEMS)})")
    own = not isinstance(warehouse, duckdb.DuckDBPyConnection)
    if own:
        Path(warehouse).parent.mkdir(parents=True, exist_ok=True)
        con = connect(warehouse)
    else:
        con = warehouse
    report = ExtractionReport(run_id=run_id, mode=mode, started_at=beijing_now())
    try:
        create_raw_schema(con)
        for system in chosen:
            try:
                if system in ("academic", "hr"):
                    src = getattr(settings.sources, system)
                    report.results += extract_database(
                        con,
                        system,
                        src,
                        mode=mode,
                        run_id=run_id,
                        now=now,
                        detect_deletes=detect_deletes,
                        progress=progress,
                    )
                elif system == "finance":
                    report.results += extract_finance(
                        con, settings.sources.finance, run_id=run_id, progress=progress, mode=mode
                    )
                else:
                    report.results += extract_payment(
                        con, settings.sources.payment, mode=mode, run_id=run_id, progress=progress
                    )
            except Exception as exc:  # this system failed as a whole; go on with the next
                msg = str(exc) or type(exc).__name__
                report.system_errors[system] = msg
                failed = TableLoadResult(
                    system=system, table="*", mode=mode, run_id=run_id, started_at=beijing_now()
                ).finish("failed", msg)
                with contextlib.suppress(duckdb.Error):
                    write_load_log(con, failed)
                if progress:
                    progress(system, "*", f"FAILED: {msg}")
    finally:
        report.finished_at = beijing_now()
        if own:
            con.close()
    return report
