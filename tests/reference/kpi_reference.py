"""Independent reference implementation of the indicator catalogue (shared/kpis.md).

Plain Python over a demo college folder (``DIR/academic.sqlite``, ``DIR/hr.sqlite``,
``DIR/finance_inbox/...``, ``DIR/payment/bills.jsonl``, ``DIR/college.json``), written
from kpis.md and the source-system descriptions only, so that tests can check the
warehouse against it.  Nothing here reads or reuses the dbt project.

API
---
``compute_kpis(college_dir, year, fiscal_year=None) -> dict``
    the JSON object of kpis.md's interface:
    ``{"academic_year": "Y-(Y+1)", "census_date": "Y-09-30", "fiscal_year": F,
    "kpis": {id: value}}``; counts are ``int``, every other value a ``Decimal``
    rounded half-up to the places kpis.md gives (``None`` for null).
``compute_kpi_parts(college_dir, year, fiscal_year=None) -> dict``
    ``{id: {"value": exact, "numerator": n, "denominator": d}}`` with exact
    ``Fraction``/``int`` values before rounding (numerator/denominator ``None`` for
    indicators that are not ratios).
``load_college(college_dir) -> College``
    load the sources once; ``College.kpis(year, fiscal_year)`` and
    ``College.parts(year, fiscal_year)`` then compute per year.
``available_years(college_dir) -> list[int]``
    academic years ``first_year..last_year`` from ``college.json``.
``python -m tests.reference.kpi_reference --dir D --year Y [--fiscal-year F]``
    prints the JSON.

Readings
--------
Choices I had to make where kpis.md leaves room; each is a deliberate reading.

1.  *Warehouse versions.*  The data is loaded once into the warehouse, so "the
    version the warehouse held at the date" of an attribute without history
    (nationality, level, study mode, staff category, degree, double-qualified flag)
    is the current source row.  The payment file holds each bill's current state;
    if a ``bill_id`` appears on several lines the greatest ``updated_at`` wins, on
    equal ``updated_at`` the later line.
2.  *Codes* are compared after stripping surrounding whitespace (``' 01'`` = ``'01'``),
    otherwise exactly; bill ``status`` is compared case-insensitively.  Legacy text
    codes (``'男'``) touch no indicator.
3.  *Dates.*  Accepted: ``YYYY-MM-DD`` (optionally followed by a time), ``YYYYMMDD``,
    Python ``date``/``datetime``.  Null, blank and the MySQL zero date
    ``0000-00-00`` mean "unknown" (null).  Anything else (``2023-02-30``, text) is
    uninterpretable and the row is left out of the indicator that needs the date:
    a student with such an ``rxrq`` is neither registered nor an entrant; an
    ``xjyd``/``byxx`` row with such a date is not a leaving event; a staff member
    whose ``lxrq`` is null/uninterpretable or whose ``lzrq`` is uninterpretable is
    not employed; an external teacher with an uninterpretable ``prksrq``/``prjsrq``
    (or null ``prksrq``) is not engaged; a ``zcbd`` row with an uninterpretable
    ``prrq`` is ignored; a ledger line with an uninterpretable 凭证日期 is ignored.
4.  *Registered at C*: ``xsjbsj`` rows (distinct ``xh``) with ``rxrq <= C`` and no
    leaving event (``xjyd`` 14/16/18/19/20, any ``byxx``) dated ``<= C``.
5.  *Flows.*  ``entrants`` come from ``xsjbsj`` (``C < rxrq <= C'``).  ``leavers`` and
    ``completions`` are taken over every ``xh`` that has a leaving event (literal
    reading: the definitions name only the history tables, no join to ``xsjbsj``).
    First leaving event = earliest date; on the same day ``byxx`` beats ``xjyd``.
6.  *FTE weights*, first match wins: ``xxxs = '2'`` 0.3; ``xxxs = '3'`` 0.1;
    ``xxxs = '1'`` and international 3; ``xxxs = '1'`` and ``pycc = '3'`` 1.5;
    ``xxxs = '1'`` otherwise 1.  A student with any other ``xxxs`` gets weight 0
    (the definition cannot interpret the study mode).
7.  *International*: ``gjdqm`` (stripped) not in 156/344/446/158; a null or blank
    ``gjdqm`` is read as domestic (SQL ``not in`` semantics on null: not selected).
8.  *Degree of a teacher*: ``zgxwm`` in ``'2'``/``'3'`` counts; everything else (blank,
    null, ``'4'``) counts in the denominator only.  *Double-qualified*: ``sfssx = '1'``.
9.  *Title at C*: ``zcbd`` row with the greatest ``(prrq, bdid)`` among ``prrq <= C``;
    senior = 正高/副高 codes of codes.md: 011 012 060 061 081 082 090 091.
10. *External teachers*: ``wpjs`` rows engaged at C (``prksrq <= C`` and ``prjsrq``
    null or ``>= C``).  "Each external teacher counts once" is read as *one per
    person*: a row with a valid ID number is identified by that number (several
    ``wpbh`` with the same valid number are one teacher), a row without a valid
    number by its ``wpbh``.  A person whose valid ID number equals the valid ID
    number of a staff member employed at C (any staff category) is not counted.
    "Valid" = ``stdnum.cn.ric.is_valid`` on the number (stdnum compacts:
    upper-cases, drops spaces/hyphens); the key is ``stdnum.cn.ric.compact``.  The
    document type ``sfzjlxm`` is not consulted.
11. *First-attempt pass rate*: the steps of kpis.md in order.  ``gxsj`` is compared
    as a timestamp (rows whose ``gxsj`` cannot be parsed are left out before the
    per-``(xh, jxbh)`` choice), ties by the greatest ``cjid`` (as an integer).  A
    numeric score is text matching ``digits[.digits]`` (after stripping whitespace)
    with value in 0..100; anything else that is not a grade word is
    uninterpretable and dropped after the choice (so a newest ``缓考`` or ``'105'``
    hides an older row of the same pair: the pair drops out).
12. *Graduates*: ``byxx`` rows with ``byjlm = '01'`` and ``Y-09-01 <= byrq <=
    (Y+1)-08-31``.  ``degree_award_rate``: the level is the student's ``xsjbsj.pycc``;
    a graduate with no ``xsjbsj`` row has no level and is outside that rate; a blank
    ``xwm`` is read as null (no degree).  ``employment_rate``: the graduate's
    ``byqx`` row (keyed by ``xh``) whatever its ``bynf``.
13. *Withdrawal rate*: registered at C and having any ``xjyd`` 14 or 16 row dated in
    ``(C, (Y+1)-08-31]`` (not only as the first leaving event), over
    ``registered_students``.
14. *Budget*: the highest-version ``预算_F[_vN].xlsx`` (no suffix = version 1;
    ``.part`` files ignored); sheet ``部门预算`` (the only sheet if that name is
    missing); the header row is found by its cells (row 3 in the spec); every later
    row with a non-blank cell, except the one whose 部门编码 is ``合计``, is data.
    Amounts: numbers, or text with thousands separators; blank or uninterpretable
    调整后预算数 adds nothing.  No budget file for F: ``budget_total`` is null.
15. *Ledger*: for every month file ``凭证明细_YYYYMM[_vN].csv`` only its highest
    version is read (GB18030); lines are selected by their own 凭证日期 in F (which
    finance.md says is inside the file's month) and a non-blank 经济分类编码.  Amount
    = 借方金额 − 贷方金额, blank = 0, thousands separators allowed; a line with an
    uninterpretable amount is left out.  No ledger file for any month of F:
    ``expenditure_total`` is null (and the rates that use it).  Personnel = codes
    starting ``301`` or ``303``.
16. *Tuition*: bills with ``item_code = '01'``, ``academic_year = 'Y-(Y+1)'`` and
    status not ``refunded``; null/blank ``amount_waived``/``amount_paid`` = 0; a bill
    with a null or uninterpretable ``amount_due`` or an uninterpretable other amount
    is left out.  Bills of students unknown to the academic system count.
17. *Nulls and rounding*: a zero denominator (or no rows) gives null; half-up
    rounding is done exactly on fractions (no intermediate float or finite-precision
    division).  ``teachers_total`` is exact (multiples of 0.5).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import re
import sqlite3
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import openpyxl
from stdnum.cn import ric

KPI_IDS = [
    "registered_students",
    "fulltime_students",
    "fte_students",
    "fulltime_teachers",
    "external_teachers",
    "teachers_total",
    "student_teacher_ratio",
    "pct_teachers_postgrad_degree",
    "pct_teachers_senior_title",
    "pct_teachers_double_qualified",
    "entrants",
    "leavers",
    "completions",
    "first_attempt_pass_rate",
    "graduates",
    "degree_award_rate",
    "employment_rate",
    "withdrawal_rate",
    "budget_total",
    "expenditure_total",
    "budget_execution_rate",
    "personnel_expenditure_ratio",
    "tuition_collection_rate",
    "expenditure_per_student",
]

COUNT_KPIS = {
    "registered_students",
    "fulltime_students",
    "fulltime_teachers",
    "external_teachers",
    "entrants",
    "leavers",
    "completions",
    "graduates",
}
ONE_DECIMAL_KPIS = {"fte_students", "teachers_total"}
TWO_DECIMAL_KPIS = {"student_teacher_ratio", "budget_total", "expenditure_total", "expenditure_per_student"}
# every other id is a ratio/rate: 4 decimals


def places_for(kpi_id: str) -> int:
    if kpi_id in COUNT_KPIS:
        return 0
    if kpi_id in ONE_DECIMAL_KPIS:
        return 1
    if kpi_id in TWO_DECIMAL_KPIS:
        return 2
    return 4


LEAVING_YDLBM = {"14", "16", "18", "19", "20"}
WITHDRAWAL_YDLBM = {"14", "16"}
DOMESTIC_GJDQM = {"156", "344", "446", "158"}
SENIOR_TITLES = {"011", "012", "060", "061", "081", "082", "090", "091"}
PLACED_QXLBM = {"10", "11", "12", "20", "21", "30"}
PASS_GRADES = {"优秀", "良好", "中等", "及格"}
FAIL_GRADES = {"不及格", "缺考"}
DEFERRED = "缓考"

BUDGET_RE = re.compile(r"^预算_(\d{4})(?:_v(\d+))?\.xlsx$")
LEDGER_RE = re.compile(r"^凭证明细_(\d{4})(\d{2})(?:_v(\d+))?\.csv$")
NUMERIC_SCORE_RE = re.compile(r"^[0-9]+(?:\.[0-9]+)?$")
AMOUNT_RE = re.compile(r"^[+-]?[0-9]+(?:\.[0-9]+)?$")


class _Invalid:
    """Sentinel: a value the definitions cannot interpret."""

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return "INVALID"


INVALID = _Invalid()


# --------------------------------------------------------------------------- parsing


def parse_date(value: Any) -> dt.date | None | _Invalid:
    """A date, None (null/blank/zero date) or INVALID."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    if text == "" or text.startswith("0000-00-00") or text == "00000000":
        return None
    m = re.match(r"^(\d{4})-(\d{2})-(\d{2})(?:[ T].*)?$", text)
    if not m:
        m = re.match(r"^(\d{4})(\d{2})(\d{2})$", text)
    if not m:
        return INVALID
    try:
        return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return INVALID


def parse_timestamp(value: Any) -> dt.datetime | None:
    """A naive timestamp for ordering, or None when it cannot be parsed."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day)
    text = str(value).strip()
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError:
        return None


def parse_amount(value: Any) -> Decimal | None | _Invalid:
    """A money amount: Decimal, None (blank) or INVALID."""
    if value is None:
        return None
    if isinstance(value, bool):
        return INVALID
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))  # shortest repr: 1234.56 -> Decimal('1234.56')
    if isinstance(value, Decimal):
        return value
    text = str(value).strip().replace(",", "").replace("，", "")
    if text == "":
        return None
    if not AMOUNT_RE.match(text):
        return INVALID
    return Decimal(text)


def code(value: Any) -> str | None:
    """A code as stripped text, None for null."""
    if value is None:
        return None
    return str(value).strip()


def id_key(value: Any) -> str | None:
    """The compact form of a GB 11643-valid ID number, else None."""
    if value is None:
        return None
    text = str(value)
    if not ric.is_valid(text):
        return None
    return ric.compact(text)


def round_half_up(value: Fraction | Decimal | int | None, places: int) -> Decimal | int | None:
    """Exact half-up (away from zero) rounding to `places` decimals."""
    if value is None:
        return None
    fr = Fraction(value)
    scaled = fr * (10**places)
    sign = -1 if scaled < 0 else 1
    n = (abs(scaled) * 2 + 1) // 2  # floor(|x| + 1/2)
    n = sign * n
    if places == 0:
        return int(n)
    return Decimal(n).scaleb(-places)


def ratio(num: Fraction | Decimal | int | None, den: Fraction | Decimal | int | None) -> Fraction | None:
    if num is None or den is None or den == 0:
        return None
    return Fraction(num) / Fraction(den)


def _version(v: str | None) -> int:
    return int(v) if v else 1


# --------------------------------------------------------------------------- loading


@dataclass
class Student:
    xh: str
    rxrq: dt.date | None | _Invalid
    pycc: str | None
    xxxs: str | None
    gjdqm: str | None


@dataclass
class Staff:
    gh: str
    jzglbm: str | None
    zgxwm: str | None
    sfssx: str | None
    lxrq: dt.date | None | _Invalid
    lzrq: dt.date | None | _Invalid
    id_key: str | None
    titles: list[tuple[dt.date, int, str | None]] = field(default_factory=list)

    def employed_at(self, c: dt.date) -> bool:
        if not isinstance(self.lxrq, dt.date) or self.lxrq > c:
            return False
        if self.lzrq is None:
            return True
        return isinstance(self.lzrq, dt.date) and self.lzrq > c

    def title_at(self, c: dt.date) -> str | None:
        held = [t for t in self.titles if t[0] <= c]
        if not held:
            return None
        return max(held, key=lambda t: (t[0], t[1]))[2]


@dataclass
class External:
    wpbh: str
    prksrq: dt.date | None | _Invalid
    prjsrq: dt.date | None | _Invalid
    id_key: str | None

    def engaged_at(self, c: dt.date) -> bool:
        if not isinstance(self.prksrq, dt.date) or self.prksrq > c:
            return False
        if self.prjsrq is None:
            return True
        return isinstance(self.prjsrq, dt.date) and self.prjsrq >= c

    @property
    def person(self) -> tuple[str, str]:
        return ("id", self.id_key) if self.id_key else ("wpbh", self.wpbh)


def _connect(path: Path) -> sqlite3.Connection:
    if not path.exists():
        raise FileNotFoundError(path)
    return sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True)


def _rows(conn: sqlite3.Connection, sql: str) -> list[sqlite3.Row]:
    conn.row_factory = sqlite3.Row
    return list(conn.execute(sql))


class College:
    """The sources of one demo college, loaded once."""

    def __init__(self, college_dir: Path | str):
        self.dir = Path(college_dir)
        self._load_academic()
        self._load_hr()
        self._load_finance()
        self._load_bills()

    # ------------------------------------------------------------ academic
    def _load_academic(self) -> None:
        conn = _connect(self.dir / "academic.sqlite")
        try:
            self.students: dict[str, Student] = {}
            for r in _rows(conn, "select xh, rxrq, pycc, xxxs, gjdqm from xsjbsj"):
                xh = str(r["xh"])
                self.students[xh] = Student(
                    xh, parse_date(r["rxrq"]), code(r["pycc"]), code(r["xxxs"]), code(r["gjdqm"])
                )
            # leaving events per xh: (date, priority, kind, ydlbm); byxx priority 0 wins ties
            self.leaving: dict[str, list[tuple[dt.date, int, str]]] = defaultdict(list)
            self.xjyd: list[tuple[str, str | None, dt.date]] = []
            for r in _rows(conn, "select xh, ydlbm, ydrq from xjyd"):
                d = parse_date(r["ydrq"])
                if not isinstance(d, dt.date):
                    continue
                xh, yd = str(r["xh"]), code(r["ydlbm"])
                self.xjyd.append((xh, yd, d))
                if yd in LEAVING_YDLBM:
                    self.leaving[xh].append((d, 1, "xjyd"))
            self.byxx: list[tuple[str, dt.date, str | None, str | None]] = []
            for r in _rows(conn, "select xh, byrq, byjlm, xwm from byxx"):
                d = parse_date(r["byrq"])
                if not isinstance(d, dt.date):
                    continue
                xh = str(r["xh"])
                xwm = r["xwm"]
                xwm = None if xwm is None or str(xwm).strip() == "" else str(xwm)
                self.byxx.append((xh, d, code(r["byjlm"]), xwm))
                self.leaving[xh].append((d, 0, "byxx"))
            self.byqx: dict[str, str | None] = {
                str(r["xh"]): code(r["qxlbm"]) for r in _rows(conn, "select xh, qxlbm from byqx")
            }
            self.cjxx = _rows(conn, "select cjid, xh, jxbh, xnxq, kscj, ksxzm, sfsc, gxsj from cjxx")
        finally:
            conn.close()
        self.first_leaving: dict[str, tuple[dt.date, int, str]] = {
            xh: min(events) for xh, events in self.leaving.items() if events
        }

    # ------------------------------------------------------------ HR
    def _load_hr(self) -> None:
        conn = _connect(self.dir / "hr.sqlite")
        try:
            self.staff: dict[str, Staff] = {}
            for r in _rows(conn, "select gh, jzglbm, zgxwm, sfssx, lxrq, lzrq, sfzjh from jzgjbxx"):
                gh = str(r["gh"])
                self.staff[gh] = Staff(
                    gh,
                    code(r["jzglbm"]),
                    code(r["zgxwm"]),
                    code(r["sfssx"]),
                    parse_date(r["lxrq"]),
                    parse_date(r["lzrq"]),
                    id_key(r["sfzjh"]),
                )
            for r in _rows(conn, "select bdid, gh, zyjszwm_h, prrq from zcbd"):
                d = parse_date(r["prrq"])
                gh = str(r["gh"])
                if not isinstance(d, dt.date) or gh not in self.staff:
                    continue
                self.staff[gh].titles.append((d, int(r["bdid"]), code(r["zyjszwm_h"])))
            self.externals: list[External] = [
                External(str(r["wpbh"]), parse_date(r["prksrq"]), parse_date(r["prjsrq"]), id_key(r["sfzjh"]))
                for r in _rows(conn, "select wpbh, prksrq, prjsrq, sfzjh from wpjs")
            ]
        finally:
            conn.close()

    # ------------------------------------------------------------ finance
    def _load_finance(self) -> None:
        inbox = self.dir / "finance_inbox"
        # budgets: year -> (version, path)
        self.budget_files: dict[int, tuple[int, Path]] = {}
        bdir = inbox / "budget"
        if bdir.is_dir():
            for p in bdir.iterdir():
                m = BUDGET_RE.match(unicodedata.normalize("NFC", p.name))
                if not m or not p.is_file():
                    continue
                year, ver = int(m.group(1)), _version(m.group(2))
                if year not in self.budget_files or ver > self.budget_files[year][0]:
                    self.budget_files[year] = (ver, p)
        # ledger: (year, month) -> (version, path)
        self.ledger_files: dict[tuple[int, int], tuple[int, Path]] = {}
        ldir = inbox / "ledger"
        if ldir.is_dir():
            for p in ldir.iterdir():
                m = LEDGER_RE.match(unicodedata.normalize("NFC", p.name))
                if not m or not p.is_file():
                    continue
                period, ver = (int(m.group(1)), int(m.group(2))), _version(m.group(3))
                if period not in self.ledger_files or ver > self.ledger_files[period][0]:
                    self.ledger_files[period] = (ver, p)
        # spending lines of the newest export of each month: (date, economic code, amount)
        self.spending: list[tuple[dt.date, str, Decimal]] = []
        for _ver, path in self.ledger_files.values():
            self.spending.extend(_read_ledger(path))
        self._budget_cache: dict[int, Decimal | None] = {}

    def budget_total(self, fiscal_year: int) -> Decimal | None:
        if fiscal_year not in self._budget_cache:
            entry = self.budget_files.get(fiscal_year)
            self._budget_cache[fiscal_year] = None if entry is None else _read_budget(entry[1])
        return self._budget_cache[fiscal_year]

    # ------------------------------------------------------------ payment
    def _load_bills(self) -> None:
        self.bills: dict[str, tuple[tuple[dt.datetime | None, int], dict]] = {}
        path = self.dir / "payment" / "bills.jsonl"
        if not path.exists():
            return
        with path.open(encoding="utf-8") as fh:
            for line_no, line in enumerate(fh):
                if not line.strip():
                    continue
                bill = json.loads(line)
                ts = _aware(bill.get("updated_at"))
                key = (ts, line_no)
                bid = str(bill.get("bill_id"))
                old = self.bills.get(bid)
                if old is None or _bill_order(key) >= _bill_order(old[0]):
                    self.bills[bid] = (key, bill)

    # ------------------------------------------------------------ indicators
    def parts(self, year: int, fiscal_year: int | None = None) -> dict[str, dict[str, Any]]:
        f_year = year if fiscal_year is None else fiscal_year
        c = dt.date(year, 9, 30)
        c_next = dt.date(year + 1, 9, 30)
        ay_start, ay_end = dt.date(year, 9, 1), dt.date(year + 1, 8, 31)
        out: dict[str, dict[str, Any]] = {}

        def put(kpi: str, value: Any, num: Any = None, den: Any = None) -> None:
            out[kpi] = {"value": value, "numerator": num, "denominator": den}

        # --- people at C
        registered = [s for s in self.students.values() if self._registered(s, c)]
        reg_ids = {s.xh for s in registered}
        fulltime = [s for s in registered if s.xxxs == "1"]
        fte = sum((_fte_weight(s) for s in registered), Fraction(0))
        put("registered_students", len(registered))
        put("fulltime_students", len(fulltime))
        put("fte_students", fte)

        employed = [s for s in self.staff.values() if s.employed_at(c)]
        teachers = [s for s in employed if s.jzglbm == "01"]
        employed_ids = {s.id_key for s in employed if s.id_key}
        ext_people = {e.person for e in self.externals if e.engaged_at(c)}
        ext_people = {p for p in ext_people if not (p[0] == "id" and p[1] in employed_ids)}
        n_t, n_e = len(teachers), len(ext_people)
        total = Fraction(n_t) + Fraction(n_e, 2)
        put("fulltime_teachers", n_t)
        put("external_teachers", n_e)
        put("teachers_total", total)
        put("student_teacher_ratio", ratio(fte, total), fte, total)
        n_pg = sum(1 for s in teachers if s.zgxwm in ("2", "3"))
        put("pct_teachers_postgrad_degree", ratio(n_pg, n_t), n_pg, n_t)
        n_sen = sum(1 for s in teachers if s.title_at(c) in SENIOR_TITLES)
        put("pct_teachers_senior_title", ratio(n_sen, n_t), n_sen, n_t)
        n_dq = sum(1 for s in teachers if s.sfssx == "1")
        put("pct_teachers_double_qualified", ratio(n_dq, n_t), n_dq, n_t)

        # --- flows
        entrants = {
            s.xh for s in self.students.values() if isinstance(s.rxrq, dt.date) and c < s.rxrq <= c_next
        }
        leavers = completions = 0
        for ev in self.first_leaving.values():
            if c < ev[0] <= c_next:
                if ev[2] == "byxx":
                    completions += 1
                else:
                    leavers += 1
        put("entrants", len(entrants))
        put("leavers", leavers)
        put("completions", completions)

        # --- teaching and outcomes
        n_pass, n_all = self._first_attempt(year)
        put("first_attempt_pass_rate", ratio(n_pass, n_all), n_pass, n_all)

        grads = [b for b in self.byxx if b[2] == "01" and ay_start <= b[1] <= ay_end]
        put("graduates", len(grads))
        deg_base = [b for b in grads if b[0] in self.students and self.students[b[0]].pycc in ("1", "3")]
        n_deg = sum(1 for b in deg_base if b[3] is not None)
        put("degree_award_rate", ratio(n_deg, len(deg_base)), n_deg, len(deg_base))
        n_placed = sum(1 for b in grads if self.byqx.get(b[0]) in PLACED_QXLBM)
        put("employment_rate", ratio(n_placed, len(grads)), n_placed, len(grads))
        withdrawn = {
            xh for xh, yd, d in self.xjyd if yd in WITHDRAWAL_YDLBM and c < d <= ay_end and xh in reg_ids
        }
        put("withdrawal_rate", ratio(len(withdrawn), len(registered)), len(withdrawn), len(registered))

        # --- money
        budget = self.budget_total(f_year)
        has_ledger = any(y == f_year for (y, _m) in self.ledger_files)
        lines = [(cd, amt) for d, cd, amt in self.spending if d.year == f_year]
        expenditure = sum((a for _cd, a in lines), Decimal(0)) if has_ledger else None
        personnel = (
            sum((a for cd, a in lines if cd.startswith(("301", "303"))), Decimal(0)) if has_ledger else None
        )
        put("budget_total", budget)
        put("expenditure_total", expenditure)
        put("budget_execution_rate", ratio(expenditure, budget), expenditure, budget)
        put("personnel_expenditure_ratio", ratio(personnel, expenditure), personnel, expenditure)
        paid, due = self._tuition(year)
        put("tuition_collection_rate", ratio(paid, due), paid, due)
        put("expenditure_per_student", ratio(expenditure, len(fulltime)), expenditure, len(fulltime))
        assert list(out) == KPI_IDS
        return out

    def kpis(self, year: int, fiscal_year: int | None = None) -> dict[str, Any]:
        f_year = year if fiscal_year is None else fiscal_year
        parts = self.parts(year, f_year)
        return {
            "academic_year": f"{year}-{year + 1}",
            "census_date": f"{year}-09-30",
            "fiscal_year": f_year,
            "kpis": {k: round_half_up(parts[k]["value"], places_for(k)) for k in KPI_IDS},
        }

    # ------------------------------------------------------------ helpers
    def _registered(self, s: Student, c: dt.date) -> bool:
        if not isinstance(s.rxrq, dt.date) or s.rxrq > c:
            return False
        first = self.first_leaving.get(s.xh)
        return first is None or first[0] > c

    def _first_attempt(self, year: int) -> tuple[int, int]:
        terms = {f"{year}-{year + 1}-1", f"{year}-{year + 1}-2"}
        best: dict[tuple[str, str], tuple[tuple[dt.datetime, int], Any]] = {}
        for r in self.cjxx:  # step 1: the source row is the current version of each cjid
            if code(r["sfsc"]) == "1":  # step 2
                continue
            if code(r["xnxq"]) not in terms or code(r["ksxzm"]) != "01":  # step 3
                continue
            ts = parse_timestamp(r["gxsj"])
            if ts is None:
                continue
            key = (str(r["xh"]), str(r["jxbh"]))
            order = (ts, int(r["cjid"]))
            if key not in best or order > best[key][0]:  # step 4
                best[key] = (order, r["kscj"])
        n_pass = n_all = 0
        for _order, kscj in best.values():  # step 5
            outcome = _score_outcome(kscj)
            if outcome is None:
                continue
            n_all += 1
            n_pass += outcome
        return n_pass, n_all

    def _tuition(self, year: int) -> tuple[Decimal, Decimal]:
        ay = f"{year}-{year + 1}"
        paid = due = Decimal(0)
        for _key, bill in self.bills.values():
            if code(bill.get("item_code")) != "01" or code(bill.get("academic_year")) != ay:
                continue
            if (code(bill.get("status")) or "").lower() == "refunded":
                continue
            a_due = parse_amount(bill.get("amount_due"))
            a_waived = parse_amount(bill.get("amount_waived"))
            a_paid = parse_amount(bill.get("amount_paid"))
            if not isinstance(a_due, Decimal) or INVALID in (a_waived, a_paid):
                continue
            paid += a_paid or Decimal(0)
            due += a_due - (a_waived or Decimal(0))
        return paid, due


def _fte_weight(s: Student) -> Fraction:
    if s.xxxs == "2":
        return Fraction(3, 10)
    if s.xxxs == "3":
        return Fraction(1, 10)
    if s.xxxs == "1":
        if s.gjdqm and s.gjdqm not in DOMESTIC_GJDQM:
            return Fraction(3)
        if s.pycc == "3":
            return Fraction(3, 2)
        return Fraction(1)
    return Fraction(0)


def _score_outcome(kscj: Any) -> int | None:
    """1 pass, 0 fail, None dropped (deferred, null, uninterpretable)."""
    if kscj is None:
        return None
    text = str(kscj).strip()
    if text == DEFERRED or text == "":
        return None
    if text in PASS_GRADES:
        return 1
    if text in FAIL_GRADES:
        return 0
    if not NUMERIC_SCORE_RE.match(text):
        return None
    v = Decimal(text)
    if v < 0 or v > 100:
        return None
    return 1 if v >= 60 else 0


def _aware(value: Any) -> dt.datetime | None:
    if value is None:
        return None
    try:
        ts = dt.datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if ts.tzinfo is None:
        ts = ts.replace(tzinfo=dt.timezone(dt.timedelta(hours=8)))
    return ts


def _bill_order(key: tuple[dt.datetime | None, int]) -> tuple[int, dt.datetime, int]:
    ts, line_no = key
    if ts is None:
        return (0, dt.datetime.min.replace(tzinfo=dt.UTC), line_no)
    return (1, ts, line_no)


def _read_ledger(path: Path) -> list[tuple[dt.date, str, Decimal]]:
    out: list[tuple[dt.date, str, Decimal]] = []
    with path.open(encoding="gb18030", newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader, None)
        if header is None:
            return out
        header = [h.replace("\ufeff", "").strip() for h in header]
        idx = {h: i for i, h in enumerate(header)}
        i_date, i_code = idx["凭证日期"], idx["经济分类编码"]
        i_dr, i_cr = idx["借方金额"], idx["贷方金额"]
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            row = row + [""] * (len(header) - len(row))
            econ = row[i_code].strip()
            if not econ:
                continue
            d = parse_date(row[i_date])
            if not isinstance(d, dt.date):
                continue
            dr, cr = parse_amount(row[i_dr]), parse_amount(row[i_cr])
            if dr is INVALID or cr is INVALID:
                continue
            out.append((d, econ, (dr or Decimal(0)) - (cr or Decimal(0))))
    return out


def _read_budget(path: Path) -> Decimal:
    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        if "部门预算" in wb.sheetnames:
            ws = wb["部门预算"]
        elif len(wb.sheetnames) == 1:
            ws = wb[wb.sheetnames[0]]
        else:
            raise ValueError(f"{path}: no sheet 部门预算")
        rows = list(ws.iter_rows(values_only=True))
    finally:
        wb.close()
    header_at = None
    for i, row in enumerate(rows[:20]):
        cells = [str(v).strip() if v is not None else "" for v in row]
        if "部门编码" in cells and "调整后预算数" in cells:
            header_at = i
            break
    if header_at is None:
        raise ValueError(f"{path}: no header row")
    header = [str(v).strip() if v is not None else "" for v in rows[header_at]]
    i_dept, i_amt = header.index("部门编码"), header.index("调整后预算数")
    total = Decimal(0)
    for row in rows[header_at + 1 :]:
        if row is None or all(v is None or str(v).strip() == "" for v in row):
            continue
        dept = row[i_dept] if i_dept < len(row) else None
        if dept is not None and str(dept).strip() == "合计":
            continue
        amt = parse_amount(row[i_amt] if i_amt < len(row) else None)
        if isinstance(amt, Decimal):
            total += amt
    return total


# --------------------------------------------------------------------------- public API


def load_college(college_dir: Path | str) -> College:
    return College(college_dir)


def compute_kpis(college_dir: Path | str, year: int, fiscal_year: int | None = None) -> dict[str, Any]:
    return College(college_dir).kpis(year, fiscal_year)


def compute_kpi_parts(
    college_dir: Path | str, year: int, fiscal_year: int | None = None
) -> dict[str, dict[str, Any]]:
    return College(college_dir).parts(year, fiscal_year)


def available_years(college_dir: Path | str) -> list[int]:
    meta = json.loads((Path(college_dir) / "college.json").read_text(encoding="utf-8"))
    return list(range(int(meta["first_year"]), int(meta["last_year"]) + 1))


def to_jsonable(result: dict[str, Any]) -> dict[str, Any]:
    """Decimals as JSON numbers (via float, exact for these few digits)."""
    kpis = {k: (float(v) if isinstance(v, Decimal) else v) for k, v in result["kpis"].items()}
    return {**result, "kpis": kpis}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dir", required=True, type=Path)
    ap.add_argument("--year", type=int, help="academic-year start; default: every year the data covers")
    ap.add_argument("--fiscal-year", type=int, default=None)
    args = ap.parse_args(argv)
    college = College(args.dir)
    years = [args.year] if args.year is not None else available_years(args.dir)
    results = [to_jsonable(college.kpis(y, args.fiscal_year)) for y in years]
    print(json.dumps(results[0] if args.year is not None else results, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
