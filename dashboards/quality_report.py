"""The stewards' report: display tables of the Data quality page and the per-steward xlsx workbook.

Plain Python (no Streamlit), shared by ``dashboards/pages/quality.py`` and
``campus-dw quality --export-xlsx``.  Everything personal goes through the masking of
:mod:`dashboards.quality_data` (``data_contracts.masking``) before it lands in a frame or a cell.

A steward's **open problems** are the rules owned by that steward that did not pass in the latest
run (status ``fail`` or ``error``), their failing rows, and the steward's rows still in quarantine
(not released).
"""

from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd

from dashboards import quality_data as qd
from dashboards.quality_i18n import qt, severity_name, status_name, system_name

MAX_EXPORT_ROWS = 100_000  # failing rows per workbook (Excel copes; an office can act on them)
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# -- display frames (localised headers) ---------------------------------------------------------------


def key_text(key: Any) -> str:
    """A source key for people: ``xh=2019000385`` rather than its JSON (a list: keys joined by ``;``)."""
    if not isinstance(key, str):
        return "" if key is None or key is pd.NA else str(key)
    try:
        parsed = json.loads(key)
    except ValueError:
        return key
    if isinstance(parsed, dict):
        return ", ".join(f"{k}={v}" for k, v in parsed.items())
    if isinstance(parsed, list):
        return "; ".join(key_text(json.dumps(k, ensure_ascii=False)) for k in parsed)
    return key


def _table_key(df: pd.DataFrame) -> pd.Series:
    """``system.table`` per row (also for an empty frame)."""
    return df["system"].astype("string") + "." + df["table_name"].astype("string")


def _rate(v: Any) -> float | None:
    return None if v is None or pd.isna(v) else round(float(v), 6)


def rules_frame(res: pd.DataFrame, lang: str) -> pd.DataFrame:
    """check_results rows (already masked) for people."""
    return pd.DataFrame(
        {
            qt("col_rule", lang): res["rule_id"],
            qt("col_table", lang): _table_key(res),
            qt("col_column", lang): res["column_name"],
            qt("col_severity", lang): res["severity"].map(lambda s: severity_name(s, lang)),
            qt("col_status", lang): res["status"].map(lambda s: status_name(s, lang)),
            qt("col_checked_rows", lang): res["checked_rows"].astype("int64"),
            qt("col_failed_rows", lang): res["failed_rows"].astype("int64"),
            qt("col_failure_rate", lang): res["failure_rate"].map(_rate),
            qt("col_owner", lang): res["owner"].map(lambda o: qd.owner_label(o, lang)),
            qt("col_sample_keys", lang): res["sample_keys"],
        }
    )


def score_frame(score: pd.DataFrame, by: list[str], lang: str) -> pd.DataFrame:
    out: dict[str, Any] = {}
    for col in by:
        if col == "system":
            out[qt("col_system", lang)] = score["system"].map(lambda s: system_name(s, lang))
        elif col == "table_name":
            out[qt("col_table", lang)] = score["table_name"]
            out[qt("col_table_desc", lang)] = [
                qd.table_description(s, t) for s, t in zip(score["system"], score["table_name"], strict=True)
            ]
        elif col == "owner":
            out[qt("col_owner", lang)] = score["owner"].map(lambda o: qd.owner_label(o, lang))
    for col in qd.SCORE_COLUMNS:
        if col == "worst_severity":
            out[qt("col_worst_severity", lang)] = score[col].map(
                lambda s: severity_name(s, lang) if isinstance(s, str) else ""
            )
        elif col == "failure_rate":
            out[qt("col_failure_rate", lang)] = score[col].map(_rate)
        else:
            out[qt(f"col_{col}", lang)] = score[col]
    return pd.DataFrame(out)


def rows_frame(rows: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Failing rows (already masked) for people."""
    return pd.DataFrame(
        {
            qt("col_rule", lang): rows["rule_id"],
            qt("col_table", lang): _table_key(rows),
            qt("col_source_key", lang): rows["source_key"].map(key_text),
            qt("col_column", lang): rows["column_name"],
            qt("col_value", lang): rows["value"],
            qt("col_reason", lang): rows["reason"],
        }
    )


def quarantine_frame(q: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Quarantined rows (already masked) for people."""
    return pd.DataFrame(
        {
            qt("col_quarantine_id", lang): q["quarantine_id"],
            qt("col_table", lang): _table_key(q),
            qt("col_owner", lang): q["owner"].map(lambda o: qd.owner_label(o, lang)),
            qt("col_source_ref", lang): q["source_ref"],
            qt("col_reason", lang): q["reason"],
            qt("col_record", lang): q["record"],
            qt("col_quarantined_at", lang): q["quarantined_at"],
            qt("col_run", lang): q["run_id"],
        }
    )


# -- a steward's open problems ---------------------------------------------------------------------------


@dataclass
class Problems:
    owner: str
    run_id: str | None
    checked_at: Any
    rules: pd.DataFrame  # failing check_results rows of the owner (sample keys masked)
    rows: pd.DataFrame  # their failing rows (masked), at most max_rows
    rows_total: int
    quarantine: pd.DataFrame  # open quarantine of the owner's tables (masked)
    by_table: pd.DataFrame  # scorecard of the owner's tables for the run

    @property
    def truncated(self) -> bool:
        return self.rows_total > len(self.rows)


def open_problems(
    reader: Any, owner: str, *, viewer: str | None, run_id: str | None = None, max_rows: int = MAX_EXPORT_ROWS
) -> Problems:
    """The open problems of steward ``owner`` in ``run_id`` (default: the latest run), masked for
    ``viewer`` (``data_contracts.masking``: unmasked only when ``viewer == owner``)."""
    run_id = run_id or qd.latest_run(reader)
    if run_id is None:
        res = pd.DataFrame(
            columns=[
                "rule_id",
                "system",
                "table_name",
                "column_name",
                "severity",
                "owner",
                "status",
                "checked_rows",
                "failed_rows",
                "failure_rate",
                "sample_keys",
                "checked_at",
            ]
        )
        mine = res
        checked_at = None
    else:
        res = qd.results(reader, run_id)
        mine = res[res["owner"] == owner]
        checked_at = res["checked_at"].max() if not res.empty else None
    failing = mine[mine["status"].isin(qd.NOT_PASSING)].reset_index(drop=True)
    failing = qd.mask_samples(failing, viewer)
    ids = failing["rule_id"].tolist()
    total = 0
    rows = qd.failing_rows(reader, run_id or "", ids, limit=max_rows)
    if ids and run_id:
        total = int(
            reader.query(
                "select count(*) from quality.failing_rows where run_id = ? "
                "and rule_id in (select unnest(?::varchar[]))",
                [run_id, ids],
            )
            .column(0)[0]
            .as_py()
        )
    rows = qd.mask_failing(rows, viewer)
    quarantine = qd.quarantine(reader)
    quarantine = quarantine[quarantine["owner"] == owner].reset_index(drop=True)
    quarantine = qd.mask_quarantine(quarantine, viewer)
    by_table = qd.scorecard(mine, ["system", "table_name"])
    return Problems(owner, run_id, checked_at, failing, rows, total, quarantine, by_table)


# -- the workbook ----------------------------------------------------------------------------------------

_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _cell_value(v: Any) -> Any:
    if v is None or v is pd.NA:
        return None
    if isinstance(v, float) and v != v:
        return None
    if isinstance(v, pd.Timestamp):
        v = v.to_pydatetime()
    if isinstance(v, datetime):
        return v.replace(tzinfo=None)
    if hasattr(v, "item") and not isinstance(v, str | bytes):
        return v.item()
    if isinstance(v, str):
        return _ILLEGAL.sub("", v)
    if isinstance(v, dict | list):
        return str(v)
    return v


def _sheet(
    wb: Any,
    title: str,
    df: pd.DataFrame,
    *,
    widths: dict[str, float] | None = None,
    percent: tuple[str, ...] = (),
) -> Any:
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    ws = wb.create_sheet(title[:31])
    for j, col in enumerate(df.columns, start=1):
        c = ws.cell(row=1, column=j, value=str(col))
        c.font = Font(bold=True)
    for i, row in enumerate(df.itertuples(index=False, name=None), start=2):
        for j, v in enumerate(row, start=1):
            value = _cell_value(v)
            c = ws.cell(row=i, column=j, value=value)
            if isinstance(value, str) and value.startswith("="):
                c.data_type = "s"  # source data is text, never a formula
    wrap = Alignment(wrap_text=True, vertical="top")
    for j, col in enumerate(df.columns, start=1):
        letter = get_column_letter(j)
        given = (widths or {}).get(str(col))
        if given is None:
            sample = [str(col)] + [str(v) for v in df.iloc[:200, j - 1].tolist()]
            given = min(max(10.0, max(len(s) for s in sample) * 1.3), 50.0)
        ws.column_dimensions[letter].width = given
        if str(col) in percent:
            for cell in ws[letter][1:]:
                cell.number_format = "0.0000%"
        if given >= 40:
            for cell in ws[letter][1:]:
                cell.alignment = wrap
    ws.freeze_panes = "A2"
    return ws


def guidance_columns(rule_ids: list[str], lang: str) -> tuple[list[str], list[str], list[str], list[str]]:
    desc, what, why, how = [], [], [], []
    for rid in rule_ids:
        g = qd.guidance(rid, lang)
        if g is None:
            desc.append("")
            what.append(qt("no_guidance", lang))
            why.append("")
            how.append("")
            continue
        desc.append(g.description)
        what.append(g.what)
        why.append(g.why)
        how.append(g.how)
    return desc, what, why, how


def workbook_bytes(
    problems: Problems,
    *,
    lang: str,
    viewer: str | None,
    institution: str = "",
    snapshot: str = "",
    now: datetime | None = None,
) -> bytes:
    """One steward's open problems as an xlsx workbook: summary, failing rules with fix guidance,
    failing rows, quarantined rows.  Headers in ``lang`` (Chinese by default)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    from data_contracts.masking import may_see_personal

    office = qd.owner_label(problems.owner, lang)
    wb = Workbook()
    ws = wb.active
    ws.title = qt("wb_sheet_summary", lang)
    ws["A1"] = qt("wb_title", lang, office=office)
    ws["A1"].font = Font(bold=True, size=14)
    rules = problems.rules
    sev = {s: int((rules["severity"] == s).sum()) for s in qd.SEVERITY_ORDER} if not rules.empty else {}
    unmasked = may_see_personal(viewer, problems.owner)
    checked = problems.checked_at
    lines = [
        (qt("wb_institution", lang), institution),
        (qt("col_owner", lang), f"{office} ({problems.owner})"),
        (qt("wb_run", lang), problems.run_id or "—"),
        (qt("wb_checked_at", lang), _cell_value(checked) if checked is not None else "—"),
        (qt("wb_snapshot", lang), snapshot),
        (qt("wb_generated", lang), (now or datetime.now()).replace(microsecond=0, tzinfo=None)),
        (qt("wb_rules_failed", lang), len(rules)),
        (
            qt("wb_by_severity", lang),
            f"{sev.get('blocking', 0)} / {sev.get('error', 0)} / {sev.get('warn', 0)}",
        ),
        (qt("wb_failed_rows", lang), int(rules["failed_rows"].sum()) if not rules.empty else 0),
        (qt("wb_quarantined", lang), len(problems.quarantine)),
        (qt("wb_masking", lang), qt("wb_unmasked" if unmasked else "wb_masked", lang)),
    ]
    if problems.truncated:
        lines.append(("", qt("wb_truncated", lang, n=f"{len(problems.rows):,}")))
    for i, (k, v) in enumerate(lines, start=3):
        ws.cell(row=i, column=1, value=k).font = Font(bold=True)
        ws.cell(row=i, column=2, value=_cell_value(v))
    note_row = 3 + len(lines) + 1
    ws.cell(row=note_row, column=1, value=qt("wb_how_to", lang))
    table_row = note_row + 2
    ws.cell(row=table_row, column=1, value=qt("wb_by_table", lang)).font = Font(bold=True)
    by_table = score_frame(problems.by_table, ["system", "table_name"], lang)
    for j, col in enumerate(by_table.columns, start=1):
        ws.cell(row=table_row + 1, column=j, value=str(col)).font = Font(bold=True)
    for i, row in enumerate(by_table.itertuples(index=False, name=None), start=table_row + 2):
        for j, v in enumerate(row, start=1):
            ws.cell(row=i, column=j, value=_cell_value(v))
    ws.column_dimensions["A"].width = 28
    ws.column_dimensions["B"].width = 40

    desc, what, why, how = guidance_columns(rules["rule_id"].tolist(), lang)
    rules_df = pd.DataFrame(
        {
            qt("col_rule", lang): rules["rule_id"],
            qt("col_table", lang): _table_key(rules),
            qt("col_column", lang): rules["column_name"],
            qt("col_severity", lang): rules["severity"].map(lambda s: severity_name(s, lang)),
            qt("col_status", lang): rules["status"].map(lambda s: status_name(s, lang)),
            qt("col_checked_rows", lang): rules["checked_rows"],
            qt("col_failed_rows", lang): rules["failed_rows"],
            qt("col_failure_rate", lang): rules["failure_rate"].map(_rate),
            qt("col_rule_desc", lang): desc,
            qt("col_what", lang): what,
            qt("col_why", lang): why,
            qt("col_how", lang): how,
        }
    )
    wide = {qt(k, lang): 50.0 for k in ("col_what", "col_why", "col_how", "col_rule_desc")}
    _sheet(wb, qt("wb_sheet_rules", lang), rules_df, widths=wide, percent=(qt("col_failure_rate", lang),))
    _sheet(wb, qt("wb_sheet_rows", lang), rows_frame(problems.rows, lang))
    _sheet(
        wb,
        qt("wb_sheet_quarantine", lang),
        quarantine_frame(problems.quarantine, lang).drop(columns=[qt("col_owner", lang)]),
        widths={qt("col_record", lang): 60.0},
    )
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def export_file_name(owner: str, run_id: str | None) -> str:
    run = re.sub(r"[^A-Za-z0-9_-]+", "", (run_id or "none"))[:12]
    return f"quality_{owner}_{run}.xlsx"


def export_workbooks(
    reader: Any,
    out_dir: Path,
    *,
    steward: str | None = None,
    viewer: str | None = None,
    lang: str = "zh",
    institution: str = "",
    run_id: str | None = None,
) -> list[tuple[Path, Problems]]:
    """Write one workbook per steward (or only ``steward``'s) into ``out_dir``; masked for
    ``viewer``.  Returns the files written with what they hold."""
    out_dir.mkdir(parents=True, exist_ok=True)
    owners = [steward] if steward else list(qd.owner_names())
    snapshot = ""
    info = getattr(reader, "info", None)
    if callable(info):
        snapshot = info().name
    written = []
    for owner in owners:
        problems = open_problems(reader, owner, viewer=viewer, run_id=run_id)
        data = workbook_bytes(problems, lang=lang, viewer=viewer, institution=institution, snapshot=snapshot)
        path = out_dir / export_file_name(owner, problems.run_id)
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_bytes(data)
        tmp.replace(path)
        written.append((path, problems))
    return written
