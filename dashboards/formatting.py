"""Pure helpers: number formatting, year selection, running-condition judgement, file exports.

No Streamlit here, so all of it is unit-testable.  Values arrive as ``Decimal`` (the warehouse's
``decimal(38,4)``) and are formatted with exact decimal arithmetic, rounding half-up as kpis.md does.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

import pandas as pd

from dashboards.catalog import CONDITIONS, ConditionSpec, Direction, KpiSpec
from dashboards.i18n import t

WAN = Decimal(10_000)
MILLION = Decimal(1_000_000)


def to_decimal(value: Any) -> Decimal | None:
    """A Decimal for any number the warehouse may hand over; None for null/NaN."""
    if value is None or value is pd.NA:
        return None
    if isinstance(value, Decimal):
        return None if value.is_nan() else value
    if isinstance(value, float):
        return None if math.isnan(value) else Decimal(repr(value))
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def _q(value: Decimal, places: int) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def _group(value: Decimal, places: int) -> str:
    """``1234567.891`` → ``1,234,567.89`` (half-up, thousands separators)."""
    return f"{_q(value, places):,.{places}f}"


def _signed(text: str, value: Decimal) -> str:
    return text if text.startswith("-") or value == 0 else f"+{text}"


def format_money(value: Decimal, lang: str) -> str:
    """Yuan: 万元 from ten thousand up in Chinese, ¥ / ¥ million in English; two decimals; the sign
    goes in front (``-¥25,000.00``)."""
    sign, v = ("-", -value) if value < 0 else ("", value)
    if lang == "zh":
        text = (
            t("unit_wan_yuan", lang, v=_group(v / WAN, 2))
            if v >= WAN
            else t("unit_yuan", lang, v=_group(v, 2))
        )
    elif v >= MILLION:
        text = t("unit_million_yuan", lang, v=_group(v / MILLION, 2))
    else:
        text = t("unit_yuan", lang, v=_group(v, 2))
    return sign + text


def format_value(value: Any, spec: KpiSpec, lang: str) -> str:
    """How a published value is shown: counts as integers, ratios as percentages, money in 元/万元."""
    v = to_decimal(value)
    if v is None:
        return t("no_value", lang)
    if spec.kind == "count":
        return _group(v, 0)
    if spec.kind == "ratio":
        return f"{_group(v * 100, max(spec.decimals - 2, 0))}%"
    if spec.kind == "money":
        return format_money(v, lang)
    return _group(v, spec.decimals)


def format_raw(value: Any) -> str:
    """The published value exactly as stored (trailing zeros of the decimal(38,4) dropped)."""
    v = to_decimal(value)
    if v is None:
        return "null"
    text = format(v, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


def change(current: Any, previous: Any) -> Decimal | None:
    cur, prev = to_decimal(current), to_decimal(previous)
    if cur is None or prev is None:
        return None
    return cur - prev


def format_delta(current: Any, previous: Any, spec: KpiSpec, lang: str) -> str | int | None:
    """The change against the previous year for ``st.metric(delta=...)``.

    None when either year has no value; the number 0 for no change (Streamlit greys it); else a
    signed string: ratios in percentage points, money in the value's own units.
    """
    d = change(current, previous)
    if d is None:
        return None
    if d == 0:
        return 0
    if spec.kind == "count":
        text = _group(d, 0)
    elif spec.kind == "ratio":
        text = t("unit_pp", lang, v=_group(d * 100, max(spec.decimals - 2, 0)))
    elif spec.kind == "money":
        text = format_money(d, lang)
    else:
        text = _group(d, spec.decimals)
    return _signed(text, d)


def delta_color(spec: KpiSpec) -> str:
    return {"up": "normal", "down": "inverse"}.get(spec.better or "", "off")


# -- selecting a year's rows ------------------------------------------------------------------------


def select_year(values: pd.DataFrame, academic_year: int, fiscal_year: int) -> pd.DataFrame:
    """Rows of ``fct_kpi_values`` for (Y, F), by the rule of docs/architecture.md:
    ``(academic_year = Y or academic_year is null) and (fiscal_year = F or fiscal_year is null)``."""
    ay, fy = values["academic_year"], values["fiscal_year"]
    mask = (ay.isna() | (ay == academic_year)) & (fy.isna() | (fy == fiscal_year))
    return values.loc[mask.fillna(False).astype(bool)]


def values_by_kpi(values: pd.DataFrame, academic_year: int, fiscal_year: int) -> dict[str, dict[str, Any]]:
    """kpi_id → {value, numerator, denominator} for (Y, F)."""
    out: dict[str, dict[str, Any]] = {}
    for row in select_year(values, academic_year, fiscal_year).to_dict("records"):
        out[row["kpi_id"]] = row
    return out


def trend_rows(
    values: pd.DataFrame, specs: list[KpiSpec], academic_year: int, fiscal_year: int, span: int = 10
) -> pd.DataFrame:
    """One row per (kpi, year) for the ``span`` years up to the selected year.

    The year is the academic year where the indicator has one (ending at Y), else the fiscal year
    (ending at F); an indicator with both (expenditure per student) uses the rows where F = Y, the
    CLI's default pairing.
    """
    frames = []
    for spec in specs:
        df = values[values["kpi_id"] == spec.id]
        if spec.basis == "fiscal":
            year, last = df["fiscal_year"], fiscal_year
        elif spec.basis == "both":
            df = df[df["academic_year"] == df["fiscal_year"]]
            year, last = df["academic_year"], academic_year
        else:
            year, last = df["academic_year"], academic_year
        df = df.assign(year=year.astype("Int64"))
        df = df[df["year"].notna()]
        frames.append(df[(df["year"] > last - span) & (df["year"] <= last)])
    if not frames:
        return values.iloc[0:0].assign(year=pd.Series(dtype="Int64"))
    return pd.concat(frames).sort_values(["kpi_id", "year"]).reset_index(drop=True)


def available_years(values: pd.DataFrame, column: str) -> list[int]:
    years = values[column].dropna().unique().tolist()
    return sorted({int(y) for y in years}, reverse=True)


# -- basic running conditions -------------------------------------------------------------------------


@dataclass(frozen=True)
class ConditionResult:
    kpi_id: str
    direction: Direction
    value: Decimal | None
    pass_line: Decimal | None
    limit_line: Decimal | None
    meets_pass: bool | None
    meets_limit: bool | None


def judge(direction: Direction, value: Decimal | None, line: Decimal | None) -> bool | None:
    """Whether ``value`` meets ``line`` ("max": at or below it; "min": at or above it)."""
    if value is None or line is None:
        return None
    return value <= line if direction == "max" else value >= line


def _flag(value: Any) -> bool | None:
    if value is None or value is pd.NA:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    return bool(value)


def condition_result(
    spec: ConditionSpec,
    value: Any,
    pass_line: Any,
    limit_line: Any,
    meets_pass: Any = None,
    meets_limit: Any = None,
) -> ConditionResult:
    """Judge one indicator; flags the warehouse published win over our own comparison, except
    that a missing value is never judged."""
    v, p, lim = to_decimal(value), to_decimal(pass_line), to_decimal(limit_line)
    # A missing value meets nothing and misses nothing: it is unknown (the mart writes false).
    mp = _flag(meets_pass) if v is not None else None
    ml = _flag(meets_limit) if v is not None else None
    return ConditionResult(
        spec.kpi_id,
        spec.direction,
        v,
        p,
        lim,
        judge(spec.direction, v, p) if mp is None else mp,
        judge(spec.direction, v, lim) if ml is None else ml,
    )


def card(results: list[ConditionResult]) -> tuple[str, int]:
    """The indicative card: ("red", n) for two or more limiting lines missed, ("yellow", 1) for one,
    ("none", 0) when all are met, ("unknown", k) when nothing is missed but k have no data."""
    missed = sum(1 for r in results if r.meets_limit is False)
    unknown = sum(1 for r in results if r.meets_limit is None)
    if missed >= 2:
        return "red", missed
    if missed == 1:
        return "yellow", 1
    if unknown:
        return "unknown", unknown
    return "none", 0


def condition_specs() -> tuple[ConditionSpec, ...]:
    return CONDITIONS


# -- exports --------------------------------------------------------------------------------------


def _excel_safe(value: Any) -> Any:
    if value is None or value is pd.NA:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item") and not isinstance(value, str | bytes):  # numpy scalars
        return value.item()
    return value


def to_csv_bytes(df: pd.DataFrame) -> bytes:
    """CSV in UTF-8 with a BOM, so Excel on Chinese Windows opens it without mojibake."""
    return df.to_csv(index=False).encode("utf-8-sig")


def to_xlsx_bytes(df: pd.DataFrame, sheet: str = "data") -> bytes:
    """An .xlsx workbook (openpyxl) with one sheet holding ``df``; Decimals stay numbers."""
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    ws = wb.active
    ws.title = sheet[:31] or "data"
    ws.append([str(c) for c in df.columns])
    for row in df.itertuples(index=False, name=None):
        ws.append([_excel_safe(v) for v in row])
    for i, col in enumerate(df.columns, start=1):
        width = max([len(str(col))] + [len(str(v)) for v in df.iloc[:200, i - 1].tolist()])
        ws.column_dimensions[get_column_letter(i)].width = min(max(10, width * 1.6), 60)
    ws.freeze_panes = "A2"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
