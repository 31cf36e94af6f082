"""Shared pieces of the demo-college generator: scale parameters, the clock, small helpers.

Tables travel between the modules as :class:`pyarrow.Table` objects whose columns are
in the order of the source DDL (``demo_college/ddl``); dates and timestamps are text
(``YYYY-MM-DD`` / ``YYYY-MM-DD HH:MM:SS``), integers int64, decimals float64.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa

ACADEMIC_TABLES = ["dm_yxs", "zyxx", "bjxx", "xsjbsj", "xjyd", "kcxx", "jxrw", "cjxx", "byxx", "byqx"]
HR_TABLES = ["zzjg", "jzgjbxx", "zcbd", "wpjs", "gzff"]

#: column name -> kind ('s' text, 'i' integer, 'f' decimal) for every source table, DDL order
COLUMNS: dict[str, list[tuple[str, str]]] = {
    "dm_yxs": [("yxsh", "s"), ("yxsmc", "s"), ("yxsjc", "s"), ("sfjxdw", "s"), ("sfyx", "s"), ("gxsj", "s")],
    "zyxx": [
        ("zyh", "s"),
        ("zymc", "s"),
        ("gbzydm", "s"),
        ("yxsh", "s"),
        ("pycc", "s"),
        ("xz", "i"),
        ("sfyx", "s"),
        ("gxsj", "s"),
    ],
    "bjxx": [("bh", "s"), ("bjmc", "s"), ("zyh", "s"), ("nj", "i"), ("gxsj", "s")],
    "xsjbsj": [
        ("xh", "s"),
        ("xm", "s"),
        ("xbm", "s"),
        ("csrq", "s"),
        ("mzm", "s"),
        ("gjdqm", "s"),
        ("sfzjlxm", "s"),
        ("sfzjh", "s"),
        ("yxsh", "s"),
        ("zyh", "s"),
        ("bh", "s"),
        ("nj", "i"),
        ("rxrq", "s"),
        ("pycc", "s"),
        ("xxxs", "s"),
        ("xjztm", "s"),
        ("sjhm", "s"),
        ("gxsj", "s"),
    ],
    "xjyd": [
        ("ydid", "i"),
        ("xh", "s"),
        ("ydlbm", "s"),
        ("ydrq", "s"),
        ("yxsh_q", "s"),
        ("zyh_q", "s"),
        ("yxsh_h", "s"),
        ("zyh_h", "s"),
        ("ydyy", "s"),
        ("gxsj", "s"),
    ],
    "kcxx": [
        ("kch", "s"),
        ("kcmc", "s"),
        ("xf", "f"),
        ("zxs", "i"),
        ("kcxzm", "s"),
        ("kkyxsh", "s"),
        ("gxsj", "s"),
    ],
    "jxrw": [
        ("jxbh", "s"),
        ("xnxq", "s"),
        ("kch", "s"),
        ("jsgh", "s"),
        ("jslx", "s"),
        ("xkrs", "i"),
        ("gxsj", "s"),
    ],
    "cjxx": [
        ("cjid", "i"),
        ("xh", "s"),
        ("jxbh", "s"),
        ("kch", "s"),
        ("xnxq", "s"),
        ("kscj", "s"),
        ("jd", "f"),
        ("ksxzm", "s"),
        ("sfsc", "s"),
        ("gxsj", "s"),
    ],
    "byxx": [("xh", "s"), ("byrq", "s"), ("byjlm", "s"), ("xwm", "s"), ("gxsj", "s")],
    "byqx": [("xh", "s"), ("bynf", "i"), ("qxlbm", "s"), ("dwmc", "s"), ("gxsj", "s")],
    "zzjg": [
        ("dwh", "s"),
        ("dwmc", "s"),
        ("sjdwh", "s"),
        ("dwlbm", "s"),
        ("jlrq", "s"),
        ("cxrq", "s"),
        ("gxsj", "s"),
    ],
    "jzgjbxx": [
        ("gh", "s"),
        ("xm", "s"),
        ("xbm", "s"),
        ("csrq", "s"),
        ("mzm", "s"),
        ("sfzjlxm", "s"),
        ("sfzjh", "s"),
        ("dwh", "s"),
        ("jzglbm", "s"),
        ("yrfsm", "s"),
        ("zyjszwm", "s"),
        ("zgxlm", "s"),
        ("zgxwm", "s"),
        ("sfssx", "s"),
        ("lxrq", "s"),
        ("lzrq", "s"),
        ("dqztm", "s"),
        ("gxsj", "s"),
    ],
    "zcbd": [
        ("bdid", "i"),
        ("gh", "s"),
        ("zyjszwm_q", "s"),
        ("zyjszwm_h", "s"),
        ("prrq", "s"),
        ("gxsj", "s"),
    ],
    "wpjs": [
        ("wpbh", "s"),
        ("xm", "s"),
        ("xbm", "s"),
        ("sfzjlxm", "s"),
        ("sfzjh", "s"),
        ("zyjszwm", "s"),
        ("zgxwm", "s"),
        ("pdwh", "s"),
        ("prksrq", "s"),
        ("prjsrq", "s"),
        ("gxsj", "s"),
    ],
    "gzff": [
        ("ffid", "i"),
        ("gh", "s"),
        ("ffny", "s"),
        ("jbgz", "f"),
        ("jxgz", "f"),
        ("jt", "f"),
        ("yfhj", "f"),
        ("kkhj", "f"),
        ("sfhj", "f"),
        ("gxsj", "s"),
    ],
}

_PA = {"s": pa.string(), "i": pa.int64(), "f": pa.float64()}


def schema(table: str) -> pa.Schema:
    return pa.schema([(c, _PA[k]) for c, k in COLUMNS[table]])


def rows_to_table(table: str, rows: list[tuple[Any, ...]]) -> pa.Table:
    """Build a table (DDL column order) from row tuples."""
    cols = COLUMNS[table]
    if not rows:
        return schema(table).empty_table()
    data = list(zip(*rows, strict=True))
    return pa.table({c: pa.array(list(v), type=_PA[k]) for (c, k), v in zip(cols, data, strict=True)})


@dataclass(frozen=True)
class Scale:
    """Size parameters of one scale."""

    name: str
    first_year: int
    last_year: int
    #: yearly intake at last_year per stream: ug, jc, ms (full-time), pt (part-time), co (correspondence)
    intake: dict[str, int]
    #: HR codes of the units with majors used (None = all)
    units: tuple[str, ...] | None = None
    #: majors per unit (None = all of the list)
    majors_per_unit: int | None = None
    #: ledger voucher multiplier
    ledger_factor: float = 1.0


SCALES: dict[str, Scale] = {
    "small": Scale(
        "small",
        2023,
        2025,
        {"ug": 290, "jc": 110, "ms": 12, "pt": 110, "co": 90},
        units=("101", "103", "106", "110"),
        majors_per_unit=4,
        ledger_factor=0.25,
    ),
    "medium": Scale("medium", 2018, 2025, {"ug": 2800, "jc": 1100, "ms": 120, "pt": 1100, "co": 900}),
    "large": Scale(
        "large", 2018, 2025, {"ug": 8400, "jc": 3300, "ms": 360, "pt": 3300, "co": 2700}, ledger_factor=2.0
    ),
}


def ts(d: dt.date | dt.datetime, seconds: int = 0) -> str:
    """'YYYY-MM-DD HH:MM:SS' for a date plus seconds after midnight (or a datetime)."""
    if isinstance(d, dt.datetime):
        return d.strftime("%Y-%m-%d %H:%M:%S")
    seconds = max(0, min(86399, seconds))
    return f"{d.isoformat()} {seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def office_ts(rng: random.Random, d: dt.date) -> str:
    """A timestamp during office hours on day ``d``."""
    return ts(d, 8 * 3600 + 1800 + int(rng.random() * 9 * 3600))


def rand_date(rng: random.Random, lo: dt.date, hi: dt.date) -> dt.date:
    """Uniform date in [lo, hi]."""
    span = (hi - lo).days
    if span <= 0:
        return lo
    return lo + dt.timedelta(days=int(rng.random() * (span + 1)))


def census(year: int) -> dt.date:
    return dt.date(year, 9, 30)


def term_name(year: int, half: int) -> str:
    return f"{year}-{year + 1}-{half}"


def add_years(d: dt.date, n: int) -> dt.date:
    try:
        return d.replace(year=d.year + n)
    except ValueError:  # 29 Feb
        return d.replace(year=d.year + n, day=28)


@dataclass
class Ctx:
    """Generation context: scale, clock, RNGs and the defect rate, shared by every module."""

    scale: Scale
    seed: int
    defect_rate: float
    now: dt.datetime
    rng: random.Random = field(init=False)
    np_rng: np.random.Generator = field(init=False)
    quirks: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        self.np_rng = np.random.default_rng(self.seed)

    @property
    def today(self) -> dt.date:
        return self.now.date()

    def sub_rng(self, name: str) -> random.Random:
        """An independent deterministic RNG for one part of the generation."""
        return random.Random(f"{self.seed}:{name}")

    def sub_np(self, name: str) -> np.random.Generator:
        h = 0
        for ch in f"{self.seed}:{name}":
            h = (h * 131 + ord(ch)) % (2**63)
        return np.random.default_rng(h)

    def defect_count(self, eligible: int, factor: float = 1.0, cap: int = 200) -> int:
        """How many defects of one kind to inject among ``eligible`` rows."""
        if self.defect_rate <= 0 or eligible <= 0:
            return 0
        return int(max(1, min(cap, round(self.defect_rate * eligible * factor), eligible)))
