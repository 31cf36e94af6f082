"""Finance inbox extraction (source_systems/finance.md) into ``raw.finance__budget`` / ``raw.finance__ledger``.

- ``*.part`` files are being written: ignored.  Names carry period and version (no suffix = 1,
  ``_v2``...).  Every accepted file's rows stay in raw; per period, lower versions are marked
  ``superseded`` in ``raw._finance_files`` and staging uses the highest ``_version`` loaded.
- A name already loaded with another checksum is refused (exported files never change); the same
  checksum already loaded is skipped.
- Structural problems (truncated/corrupt xlsx, missing sheet, wrong encoding, missing columns) refuse
  the whole file: nothing lands and the period keeps its previous data.
- Bad lines inside a good file (unparseable amount, wrong column count, date outside the file's
  month, duplicate voucher line) go to quarantine with ``file:line``, the raw content and the reason.
  Interpretable defects (调整后 != 年初 + 调整) are landed and reported.

Raw keeps text as delivered: amounts unparsed (``"1,200.00"`` stays), budget numbers written as
plain decimals, ledger blanks as ``''``.  The GB18030 ledger is decoded by Python's codec,
streaming, into a UTF-8 temp file that DuckDB's ``read_csv`` lands (DESIGN.md: not the encodings
extension, which split a multi-byte character at a buffer boundary).
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

import duckdb

from extractors.bookkeeping import (
    Progress,
    QuarantineRow,
    TableLoadResult,
    beijing_now,
    q,
    quarantine_rows,
    write_load_log,
)
from extractors.raw_schema import BUDGET_COLUMNS, LEDGER_COLUMNS, create_raw_schema
from orchestration.settings import FinanceSource

BUDGET_RE = re.compile(r"^预算_(\d{4})(?:_v(\d+))?\.xlsx$")
LEDGER_RE = re.compile(r"^凭证明细_(\d{4})(\d{2})(?:_v(\d+))?\.csv$")
BUDGET_SHEET = "部门预算"
BUDGET_HEADER_ROW = 3
BUDGET_AMOUNTS = ["年初预算数", "调整预算数", "调整后预算数"]
LEDGER_AMOUNTS = ["借方金额", "贷方金额"]
_AMOUNT_RE = re.compile(r"^[+-]?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?$", re.ASCII)
_CSV_NULL = "\x01NULL\x01"


class FileRefused(Exception):
    """The whole file is refused (structural problem); the message is the reason."""


def parse_amount(text: str | None) -> Decimal | None:
    """Yuan amount as delivered -> Decimal; blank -> None; raises ValueError when not a number."""
    if text is None:
        return None
    t = text.strip()
    if t == "":
        return None
    if not _AMOUNT_RE.match(t):
        raise ValueError(f"not an amount: {text!r}")
    try:
        return Decimal(t.replace(",", ""))
    except InvalidOperation:
        raise ValueError(f"not an amount: {text!r}") from None


@dataclass
class InboxFile:
    path: Path
    kind: str  # budget | ledger
    period: str
    version: int

    @property
    def name(self) -> str:
        return self.path.name


@dataclass
class ParsedFile:
    rows_read: int = 0
    rows_landed: int = 0
    quarantine: list[QuarantineRow] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    csv_path: Path | None = None  # UTF-8 temp file with the landed rows (+ _line_no)


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def scan_inbox(inbox: Path) -> tuple[list[InboxFile], list[Path]]:
    """Files to consider (sorted by kind, period, version) and files with unrecognised names.
    ``.part`` files and hidden files are ignored."""
    found: list[InboxFile] = []
    unknown: list[Path] = []
    for kind, rx in (("budget", BUDGET_RE), ("ledger", LEDGER_RE)):
        folder = inbox / kind
        if not folder.is_dir():
            continue
        for p in sorted(folder.iterdir()):
            if not p.is_file() or p.name.endswith(".part") or p.name.startswith("."):
                continue
            m = rx.match(p.name)
            if not m:
                unknown.append(p)
                continue
            if kind == "budget":
                period, version = m.group(1), int(m.group(2) or 1)
            else:
                if not 1 <= int(m.group(2)) <= 12:
                    unknown.append(p)
                    continue
                period, version = m.group(1) + m.group(2), int(m.group(3) or 1)
            found.append(InboxFile(p, kind, period, version))
    found.sort(key=lambda f: (f.kind, f.period, f.version, f.name))
    return found, unknown


# -- budget xlsx ------------------------------------------------------------------------------------


def _cell_text(value: object, amount: bool) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return f"{value}.00" if amount else str(value)
    if isinstance(value, float):
        d = Decimal(repr(value))
        if not amount and d == d.to_integral_value():
            return str(int(d))
        text = format(d, "f")
        if amount:
            whole, _, frac = text.partition(".")
            text = f"{whole}.{frac.ljust(2, '0')}"
        return text
    if isinstance(value, datetime):
        return (
            value.strftime("%Y-%m-%d %H:%M:%S")
            if (value.hour or value.minute or value.second)
            else value.strftime("%Y-%m-%d")
        )
    if isinstance(value, date):
        return value.strftime("%Y-%m-%d")
    return str(value)


def parse_budget(path: Path, tmp_dir: Path) -> ParsedFile:
    from openpyxl import load_workbook

    out = ParsedFile()
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:
        raise FileRefused(
            f"not a readable xlsx (truncated or corrupt): {type(exc).__name__}: {exc}"
        ) from None
    try:
        if BUDGET_SHEET not in wb.sheetnames:
            raise FileRefused(f"sheet {BUDGET_SHEET} not found (sheets: {', '.join(wb.sheetnames)})")
        ws = wb[BUDGET_SHEET]
        header: list[str] | None = None
        index: dict[str, int] = {}
        mismatch = 0
        csv_path = tmp_dir / "budget.csv"
        with csv_path.open("w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh)
            w.writerow([*BUDGET_COLUMNS, "_line_no"])
            try:
                rows = ws.iter_rows(values_only=True)
                for row_no, row in enumerate(rows, start=1):
                    if row_no < BUDGET_HEADER_ROW:
                        continue
                    if row_no == BUDGET_HEADER_ROW:
                        header = [str(c).strip() if c is not None else "" for c in row]
                        missing = [c for c in BUDGET_COLUMNS if c not in header]
                        if missing:
                            raise FileRefused(
                                f"header on row {BUDGET_HEADER_ROW} lacks columns: {', '.join(missing)}"
                            )
                        index = {c: header.index(c) for c in BUDGET_COLUMNS}
                        continue
                    cells = list(row)
                    if all(c is None or (isinstance(c, str) and c.strip() == "") for c in cells):
                        continue
                    texts = {
                        c: _cell_text(cells[i] if i < len(cells) else None, c in BUDGET_AMOUNTS)
                        for c, i in index.items()
                    }
                    if (texts["部门编码"] or "").strip() == "合计":
                        continue  # the totals row is not data
                    out.rows_read += 1
                    record = json.dumps(texts, ensure_ascii=False)
                    extra = [c for i, c in enumerate(cells) if i >= len(header or []) and c is not None]
                    reason = None
                    if extra:
                        reason = f"wrong column count: {len(extra)} values beyond the header's columns"
                    else:
                        amounts = {}
                        for c in BUDGET_AMOUNTS:
                            try:
                                amounts[c] = parse_amount(texts[c])
                            except ValueError:
                                reason = f"unparseable amount in {c}: {texts[c]!r}"
                                break
                        if reason is None:
                            a, b, t = (amounts[c] or Decimal(0) for c in BUDGET_AMOUNTS)
                            if a + b != t:
                                mismatch += 1
                    if reason:
                        out.quarantine.append(QuarantineRow(f"{path.name}:{row_no}", record, reason))
                        continue
                    w.writerow(
                        [_CSV_NULL if texts[c] is None else texts[c] for c in BUDGET_COLUMNS] + [row_no]
                    )
                    out.rows_landed += 1
            except FileRefused:
                raise
            except Exception as exc:
                raise FileRefused(
                    f"xlsx could not be read to the end (truncated or corrupt): {type(exc).__name__}: {exc}"
                ) from None
        if header is None:
            raise FileRefused(f"no header row (row {BUDGET_HEADER_ROW}) in sheet {BUDGET_SHEET}")
        if mismatch:
            out.notes.append(
                f"{path.name}: {mismatch} rows where 调整后预算数 != 年初预算数 + 调整预算数 (defect, landed)"
            )
        out.csv_path = csv_path
        return out
    finally:
        wb.close()


# -- ledger csv -------------------------------------------------------------------------------------


class _LineTap:
    """Feeds lines to csv.reader and remembers the raw text of the current record."""

    def __init__(self, stream: Iterator[str]):
        self._stream = stream
        self.lines: list[str] = []
        self.line_no = 0

    def __iter__(self) -> _LineTap:
        return self

    def __next__(self) -> str:
        line = next(self._stream)
        self.line_no += 1
        self.lines.append(line)
        return line

    def take(self) -> str:
        text = "".join(self.lines).rstrip("\r\n")
        self.lines = []
        return text


def _check_encoding(path: Path) -> None:
    with path.open("rb") as f:
        head = f.read(64 * 1024)
    if head.startswith(b"\xef\xbb\xbf"):
        raise FileRefused("wrong encoding: the file is UTF-8 (with BOM), expected GB18030/GBK")
    first = head.split(b"\n", 1)[0]
    try:
        text = first.decode("utf-8")
    except UnicodeDecodeError:
        return
    if any(ord(ch) > 127 for ch in text) and "凭证日期" in text:
        raise FileRefused("wrong encoding: the file is UTF-8, expected GB18030/GBK")


def parse_ledger(path: Path, period: str, tmp_dir: Path) -> ParsedFile:
    out = ParsedFile()
    _check_encoding(path)
    year, month = int(period[:4]), int(period[4:])
    csv_path = tmp_dir / "ledger.csv"
    seen: set[tuple[str, str]] = set()
    col_idx: dict[str, int] = {}
    try:
        with (
            path.open("r", encoding="gb18030", errors="strict", newline="") as src,
            csv_path.open("w", encoding="utf-8", newline="") as dst,
        ):
            tap = _LineTap(iter(src))
            reader = csv.reader(tap)
            w = csv.writer(dst)
            w.writerow([*LEDGER_COLUMNS, "_line_no"])
            header: list[str] | None = None
            for fields in reader:
                first_line = tap.line_no - len(tap.lines) + 1
                raw_text = tap.take()
                if header is None:
                    header = [f.strip().lstrip("\ufeff") for f in fields]
                    missing = [c for c in LEDGER_COLUMNS if c not in header]
                    if missing:
                        raise FileRefused(
                            "header does not match (wrong encoding or missing columns): lacks "
                            + ", ".join(missing)
                        )
                    col_idx = {c: header.index(c) for c in LEDGER_COLUMNS}
                    continue
                if not fields or all(f.strip() == "" for f in fields):
                    continue
                out.rows_read += 1
                reason = None
                if len(fields) != len(header):
                    reason = f"wrong column count: {len(fields)}, expected {len(header)}"
                else:
                    vals = {c: fields[i] for c, i in col_idx.items()}
                    d = vals["凭证日期"].strip()
                    try:
                        dd = (
                            datetime.strptime(d, "%Y-%m-%d").date()
                            if re.fullmatch(r"\d{4}-\d{2}-\d{2}", d)
                            else None
                        )
                    except ValueError:
                        dd = None
                    if dd is None:
                        reason = f"unparseable 凭证日期: {vals['凭证日期']!r}"
                    elif (dd.year, dd.month) != (year, month):
                        reason = f"凭证日期 {d} outside the file's month {period}"
                    else:
                        for c in LEDGER_AMOUNTS:
                            try:
                                parse_amount(vals[c])
                            except ValueError:
                                reason = f"unparseable amount in {c}: {vals[c]!r}"
                                break
                    if reason is None:
                        k = (vals["凭证号"].strip(), vals["分录号"].strip())
                        if k in seen:
                            reason = f"duplicate (凭证号, 分录号) = {k} in the file"
                        seen.add(k)
                if reason:
                    out.quarantine.append(QuarantineRow(f"{path.name}:{first_line}", raw_text, reason))
                    continue
                w.writerow([vals[c] for c in LEDGER_COLUMNS] + [first_line])
                out.rows_landed += 1
            if header is None:
                raise FileRefused("empty file (no header line)")
    except UnicodeDecodeError as exc:
        raise FileRefused(
            f"wrong encoding: not valid GB18030 ({exc.reason} at byte {exc.start} of a chunk)"
        ) from None
    except csv.Error as exc:
        raise FileRefused(f"malformed CSV: {exc}") from None
    out.csv_path = csv_path
    return out


# -- orchestration --------------------------------------------------------------------------------


def _record_file(
    con: duckdb.DuckDBPyConnection,
    f: InboxFile | Path,
    checksum: str,
    status: str,
    reason: str | None,
    rows: int | None,
    run_id: str,
    at: datetime,
) -> None:
    if isinstance(f, InboxFile):
        name, kind, period, version = f.name, f.kind, f.period, f.version
    else:
        name, kind, period, version = f.name, f.parent.name, None, None
    con.execute(
        "insert into raw._finance_files values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [name, kind, period, version, checksum, status, reason, rows, run_id, at],
    )


def _land(
    con: duckdb.DuckDBPyConnection, f: InboxFile, parsed: ParsedFile, checksum: str, run_id: str, at: datetime
) -> None:
    cols = BUDGET_COLUMNS if f.kind == "budget" else LEDGER_COLUMNS
    table = "finance__budget" if f.kind == "budget" else "finance__ledger"
    col_types = "{" + ", ".join(f"'{c}': 'VARCHAR'" for c in cols) + ", '_line_no': 'INTEGER'}"
    sel = ", ".join(q(c) for c in cols)
    con.execute(
        f"""insert into raw.{table} ({sel}, _file, _period, _version, _line_no, _checksum, _run_id, _loaded_at)
        select {sel}, ?, ?, ?, _line_no, ?, ?, ?::timestamp
        from read_csv(?, header = true, columns = {col_types}, quote = '"', escape = '"',
                      nullstr = ?, auto_detect = false, delim = ',')""",
        [f.name, f.period, f.version, checksum, run_id, at, str(parsed.csv_path), _CSV_NULL],
    )


def extract_finance(
    con: duckdb.DuckDBPyConnection,
    source: FinanceSource,
    *,
    run_id: str,
    progress: Progress | None = None,
    mode: str = "incremental",
) -> list[TableLoadResult]:
    """Load new files of the finance inbox.  Returns one result per raw table (budget, ledger); each
    file's outcome is in ``raw._finance_files`` and in the result's message."""
    create_raw_schema(con)
    inbox = Path(source.inbox)
    results = {
        k: TableLoadResult(system="finance", table=k, mode=mode, run_id=run_id, started_at=beijing_now())
        for k in ("budget", "ledger")
    }
    if not inbox.is_dir():
        for r in results.values():
            r.finish("failed", f"finance: inbox folder {inbox} does not exist")
            write_load_log(con, r)
        return list(results.values())
    files, unknown = scan_inbox(inbox)
    for p in unknown:
        res = results.get(p.parent.name)
        checksum = sha256_of(p)
        known = con.execute(
            "select 1 from raw._finance_files where file_name = ? and checksum = ?", [p.name, checksum]
        ).fetchone()
        if not known:
            _record_file(con, p, checksum, "refused", "unrecognised file name", None, run_id, beijing_now())
            if res:
                res.note(f"{p.name}: refused (unrecognised file name)")
    for f in files:
        res = results[f.kind]
        checksum = sha256_of(f.path)
        prior = con.execute(
            "select checksum, status from raw._finance_files where file_name = ? order by loaded_at", [f.name]
        ).fetchall()
        accepted = [c for c, s in prior if s in ("loaded", "superseded")]
        if checksum in accepted:
            continue  # already loaded: exported files never change
        if any(c == checksum and s == "refused" for c, s in prior):
            continue  # already refused and reported
        now = beijing_now()
        if accepted:
            reason = (
                f"file name already loaded with another checksum ({accepted[0][:12]}..., now {checksum[:12]}...):"
                " exported files never change; refused"
            )
            _record_file(con, f, checksum, "refused", reason, None, run_id, now)
            res.note(f"{f.name}: {reason}")
            continue
        same_version = con.execute(
            "select file_name from raw._finance_files where kind = ? and period = ? and version = ?"
            " and status in ('loaded', 'superseded') and file_name <> ?",
            [f.kind, f.period, f.version, f.name],
        ).fetchone()
        if same_version:
            reason = f"version {f.version} of period {f.period} was already loaded from {same_version[0]}"
            _record_file(con, f, checksum, "refused", reason, None, run_id, now)
            res.note(f"{f.name}: refused: {reason}")
            continue
        if progress:
            progress("finance", f.kind, f"reading {f.name}")
        with tempfile.TemporaryDirectory(prefix="cdw_fin_") as tmp:
            try:
                parsed = (
                    parse_budget(f.path, Path(tmp))
                    if f.kind == "budget"
                    else parse_ledger(f.path, f.period, Path(tmp))
                )
            except FileRefused as exc:
                _record_file(con, f, checksum, "refused", str(exc), None, run_id, now)
                res.note(f"{f.name}: refused: {exc}")
                if progress:
                    progress("finance", f.kind, f"refused {f.name}: {exc}")
                continue
            con.execute("BEGIN TRANSACTION")
            try:
                _land(con, f, parsed, checksum, run_id, now)
                quarantine_rows(
                    con, run_id=run_id, system="finance", table=f.kind, rows=parsed.quarantine, at=now
                )
                top = con.execute(
                    "select max(version) from raw._finance_files where kind = ? and period = ? and status in"
                    " ('loaded', 'superseded')",
                    [f.kind, f.period],
                ).fetchone()[0]
                status = "superseded" if top is not None and top > f.version else "loaded"
                _record_file(con, f, checksum, status, None, parsed.rows_landed, run_id, now)
                con.execute(
                    "update raw._finance_files set status = 'superseded', reason = ?"
                    " where kind = ? and period = ? and status = 'loaded' and version < ?",
                    [f"replaced by version {f.version} ({f.name})", f.kind, f.period, f.version],
                )
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise
        res.rows_read += parsed.rows_read
        res.rows_landed += parsed.rows_landed
        res.rows_new_versions += parsed.rows_landed
        res.rows_quarantined += len(parsed.quarantine)
        res.notes.extend(parsed.notes)
        res.note(
            f"{f.name}: {status}, {parsed.rows_landed} rows landed, {len(parsed.quarantine)} quarantined"
        )
    out = []
    for r in results.values():
        # refused files are data problems reported in the message (and raw._finance_files), not a failed load
        r.finish("ok")
        write_load_log(con, r)
        out.append(r)
    return out
