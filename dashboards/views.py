"""Building blocks of the domain pages (Students, Faculty, Finance) over the published aggregates.

Everything here reads through :mod:`dashboards.queries` (cached on the snapshot key) and shows
aggregates only: counts, sums and rates per unit, major, course, class — never a person.

Conventions for element keys (browser tests rely on them): ``sec_<name>`` for a section's
container, ``m_<name>`` for an indicator card, ``chart_<name>`` for a drill-down chart,
``drill_<name>`` for its unit selectbox, ``tbl_<name>`` for a table, ``dl_csv_<stem>`` /
``dl_xlsx_<stem>`` for its downloads.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

import pandas as pd
import streamlit as st

from dashboards import charts, queries
from dashboards.catalog import BY_ID
from dashboards.components import download_buttons
from dashboards.context import PageContext
from dashboards.formatting import format_raw, format_value, to_decimal
from dashboards.i18n import CODE_NAMES, kpi_name, t

# -- data ----------------------------------------------------------------------------------------------


def load(
    ctx: PageContext, table: str, year: int | None = None, *, by_unit: bool = True
) -> pd.DataFrame | None:
    """A published aggregate for ``year`` (None: all years), limited to the sidebar's unit when the
    table has a ``unit_code`` and ``by_unit``; None when the snapshot lacks the table."""
    df = queries.aggregate(ctx.snapshot.key, ctx.reader, table, year)
    if df is None:
        return None
    if by_unit and ctx.unit_code is not None and "unit_code" in df.columns:
        df = df[df["unit_code"].astype("string") == ctx.unit_code]
    return df


def page_header(ctx: PageContext, page: str) -> None:
    """Title and caption (year, census date, scope: college or the filtered unit) of an aggregate page."""
    lang, y = ctx.lang, ctx.academic_year
    scope = t("scope_unit", lang, unit=ctx.unit_name) if ctx.unit_code else t("scope_college", lang)
    st.title(t(f"{page}_title", lang))
    st.caption(
        t(
            f"{page}_caption",
            lang,
            ay=t("academic_year_fmt", lang, y=y, y1=y + 1),
            census=f"{y}-09-30",
            scope=scope,
        )
        + " · "
        + t("aggregates_note", lang)
    )


def missing_note(ctx: PageContext, tables: Iterable[str]) -> bool:
    """Show a clear note (no traceback) for aggregates the snapshot lacks; True when any is missing."""
    absent = [tb for tb in tables if not queries.has_table(ctx.snapshot.key, ctx.reader, tb)]
    if absent:
        st.info(
            t("missing_tables", ctx.lang, tables=", ".join(f"`marts.{tb}`" for tb in absent)),
            icon=":material/info:",
        )
    return bool(absent)


def need_columns(ctx: PageContext, df: pd.DataFrame, table: str, columns: Iterable[str]) -> bool:
    """True when ``df`` has ``columns``; otherwise a note names what the published table lacks."""
    lacking = [c for c in columns if c not in df.columns]
    if lacking:
        st.info(t("missing_columns", ctx.lang, table=f"marts.{table}", columns=", ".join(lacking)))
    return not lacking


def num(series: pd.Series) -> pd.Series:
    """Numbers for arithmetic and charts (Decimal, Int64 and nulls alike) as float, null → 0."""
    return pd.to_numeric(
        series.map(lambda v: None if to_decimal(v) is None else float(v)), errors="coerce"
    ).fillna(0.0)


def exact_sum(series: pd.Series) -> Decimal:
    """An exact sum (money stays to the fen)."""
    return sum((to_decimal(v) or Decimal(0) for v in series), Decimal(0))


def names(df: pd.DataFrame, code: str, name: str | None, lang: str, code_set: str | None = None) -> pd.Series:
    """A display name per row: on English pages the aggregate's ``*_name_en`` (steward-maintained
    translations, seed name_translations) where it holds one; else the aggregate's own ``*_name``
    column when it has one, else the code set's name (i18n), else the code itself."""
    shown = _names(df, code, name, lang, code_set)
    english = f"{name}_en" if name else None
    if lang == "en" and english in df.columns:
        given = df[english].astype("string")
        shown = given.where(given.fillna("").str.strip() != "", shown)
    return shown


def _names(df: pd.DataFrame, code: str, name: str | None, lang: str, code_set: str | None) -> pd.Series:
    codes = df[code].astype("string").fillna("")
    if name and name in df.columns:
        given = df[name].astype("string")
        if code_set is None:
            return given.fillna(codes).where(given.fillna("") != "", codes)
        fallback = codes.map(lambda c: code_name(code_set, c, lang))
        if lang == "zh":
            return given.where(given.fillna("") != "", fallback)
        return fallback.where(fallback != codes, given.fillna(codes))
    if code_set is not None:
        return codes.map(lambda c: code_name(code_set, c, lang))
    return codes


def code_name(code_set: str, code: Any, lang: str) -> str:
    text = "" if code is None or code is pd.NA else str(code)
    entry = CODE_NAMES.get(code_set, {}).get(text)
    if entry is None:
        return text if text else t("code_none", lang)
    return entry[lang] if lang in entry else entry["zh"]


def rate(numerator: float, denominator: float) -> float | None:
    return None if not denominator else numerator / denominator


def pct(value: float | None, places: int = 2) -> str:
    return "—" if value is None else f"{value * 100:,.{places}f}%"


def count_text(value: float | int | None) -> str:
    return "—" if value is None else f"{int(round(value)):,}"


# -- indicator cards ------------------------------------------------------------------------------------


def definition(ctx: PageContext, kpi_id: str) -> str:
    df = queries.kpi_dictionary(ctx.snapshot.key, ctx.reader)
    row = df[df["kpi_id"] == kpi_id]
    if not row.empty:
        text = row.iloc[0][f"definition_{ctx.lang}"]
        if isinstance(text, str) and text.strip():
            return text
    return t("definition_missing", ctx.lang)


def indicator_name(ctx: PageContext, kpi_id: str) -> str:
    df = queries.kpi_dictionary(ctx.snapshot.key, ctx.reader)
    row = df[df["kpi_id"] == kpi_id]
    if not row.empty:
        text = row.iloc[0][f"name_{ctx.lang}"]
        if isinstance(text, str) and text.strip():
            return text
    return kpi_name(kpi_id, ctx.lang)


def published(ctx: PageContext, kpi_id: str) -> Decimal | None:
    """The college-wide value of ``fct_kpi_values`` for the page's year(s)."""
    values = queries.kpi_values(ctx.snapshot.key, ctx.reader)
    spec = BY_ID[kpi_id]
    rows = values[values["kpi_id"] == kpi_id]
    if spec.basis in ("academic", "both"):
        rows = rows[rows["academic_year"] == ctx.academic_year]
    if spec.basis in ("fiscal", "both"):
        rows = rows[rows["fiscal_year"] == ctx.fiscal_year]
    return None if rows.empty else to_decimal(rows.iloc[0]["value"])


def metric(
    ctx: PageContext,
    key: str,
    label: str,
    shown: str,
    help_parts: Iterable[str] = (),
    kpi_id: str | None = None,
) -> None:
    """An indicator card; its help holds the definition (dim_kpi) and the exact figures."""
    parts = []
    if kpi_id is not None:
        parts.append(t("help_definition", ctx.lang, definition=definition(ctx, kpi_id)))
        college = published(ctx, kpi_id)
        if ctx.unit_code is not None and college is not None:
            parts.append(t("help_college", ctx.lang, v=format_value(college, BY_ID[kpi_id], ctx.lang)))
    parts += list(help_parts)
    with st.container(border=True, key=f"m_{key}"):
        st.metric(label, shown, help="\n\n".join(parts) or None)


def kpi_metric(ctx: PageContext, key: str, kpi_id: str, value: Any, extra: Iterable[str] = ()) -> None:
    """A card for a kpis.md indicator computed from the aggregates (for the chosen unit, or the
    college); the raw value is in the help."""
    spec = BY_ID[kpi_id]
    parts = [t("help_raw", ctx.lang, raw=format_raw(value))] if to_decimal(value) is not None else []
    metric(
        ctx, key, indicator_name(ctx, kpi_id), format_value(value, spec, ctx.lang), [*parts, *extra], kpi_id
    )


def metric_row(items: list[Callable[[], None]], per_row: int = 4) -> None:
    for start in range(0, len(items), per_row):
        columns = st.columns(per_row)
        for column, item in zip(columns, items[start : start + per_row], strict=False):
            with column:
                item()


# -- tables -----------------------------------------------------------------------------------------------


def table(ctx: PageContext, df: pd.DataFrame, stem: str, *, height: int | str = "auto") -> None:
    """A table on screen (decimals as exact text) with its CSV and xlsx downloads."""
    out = df.copy()
    for col in out.columns:
        if out[col].dtype == object and any(isinstance(v, Decimal) for v in out[col].head(50)):
            out[col] = [None if to_decimal(v) is None else format_raw(v) for v in out[col]]
    with st.container(key=f"tbl_{stem}"):
        st.dataframe(out, hide_index=True, width="stretch", height=height)
        download_buttons(df, f"{stem}_{_suffix(ctx)}", ctx.lang)


def _suffix(ctx: PageContext) -> str:
    return f"{ctx.academic_year}_{ctx.fiscal_year}" + (f"_{ctx.unit_code}" if ctx.unit_code else "")


# -- charts with drill-down ----------------------------------------------------------------------------------


def bar(
    ctx: PageContext,
    df: pd.DataFrame,
    title: str,
    value_title: str,
    *,
    fmt: str = ",d",
    share: bool = False,
    rules: tuple[tuple[str, float, str], ...] = (),
) -> None:
    """A horizontal bar chart of ``name``/``plot``/``label`` (no drill-down)."""
    if df.empty:
        st.caption(t("no_rows", ctx.lang))
        return
    spec = charts.hbar_spec(
        df[["name", "plot", "label"]].reset_index(drop=True), title, value_title, fmt, share, None, rules
    )
    charts.show(spec, title)


def _on_pick(chart_key: str, select_key: str, field: str) -> None:
    """Chart click → the drill-down selectbox (the single source of truth for the drill-down)."""
    state = st.session_state.get(chart_key)
    if not state:
        return
    picked = (state.get("selection") or {}).get(charts.SELECTION)
    if (
        isinstance(picked, list)
        and picked
        and isinstance(picked[0], dict)
        and picked[0].get(field) is not None
    ):
        st.session_state[select_key] = str(picked[0][field])
    elif isinstance(picked, dict) and picked.get(field):
        value = picked[field]
        st.session_state[select_key] = str(value[0] if isinstance(value, list) else value)


def drill_bar(
    ctx: PageContext,
    df: pd.DataFrame,
    key: str,
    title: str,
    value_title: str,
    *,
    fmt: str = ",d",
    share: bool = False,
    rules: tuple[tuple[str, float, str], ...] = (),
) -> str | None:
    """Horizontal bars of units (``code``, ``name``, ``plot``, ``label``) that drill down on click:
    clicking a bar (or choosing in the selectbox under it) picks the unit whose rows are shown
    below.  Returns the picked code, or None for no drill-down."""
    if df.empty:
        st.caption(t("no_rows", ctx.lang))
        return None
    select_key = f"drill_{key}"
    chart_key = f"chart_{key}"
    data = df[["code", "name", "plot", "label"]].reset_index(drop=True)
    options = ["", *data["code"].astype(str).tolist()]
    labels = dict(zip(data["code"].astype(str), data["name"].astype(str), strict=True))
    if st.session_state.get(select_key) not in options:
        st.session_state[select_key] = ""
    spec = charts.hbar_spec(data, title, value_title, fmt, share, "code", rules)
    st.vega_lite_chart(
        spec,
        width="stretch",
        key=chart_key,
        on_select=lambda: _on_pick(chart_key, select_key, "code"),
        selection_mode=charts.SELECTION,
        alt=title,
    )
    picked = st.selectbox(
        t("drill_label", ctx.lang),
        options,
        key=select_key,
        format_func=lambda c: labels.get(c, c) if c else t("drill_none", ctx.lang),
        help=t("drill_help", ctx.lang),
    )
    return picked or None


def frame(records: list[dict[str, Any]] | pd.DataFrame, columns: dict[str, str], lang: str) -> pd.DataFrame:
    """Rename internal columns to the page language (``columns``: internal → i18n key), in order."""
    df = pd.DataFrame(records) if not isinstance(records, pd.DataFrame) else records
    keep = [c for c in columns if c in df.columns]
    return df[keep].rename(columns={c: t(columns[c], lang) for c in keep})
