"""校情总览 / Overview: the kpis.md indicators for the chosen year, the basic running conditions
with the indicative card, ten-year trends, and every table behind them as CSV/xlsx.

Element keys are stable for browser tests: ``kpi_<id>`` (one card per indicator), ``rc_<id>``,
``rc_card``, ``trend_<group>``, ``ratio_bars``, ``kpi_table``, ``dl_csv_<name>``/``dl_xlsx_<name>``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pandas as pd
import streamlit as st

from dashboards import charts, queries
from dashboards.catalog import BY_ID, CONDITIONS, GROUPS, KPIS, ConditionSpec, KpiSpec, in_group
from dashboards.components import download_buttons
from dashboards.context import PageContext, get_context, has_context
from dashboards.formatting import (
    ConditionResult,
    card,
    change,
    condition_result,
    delta_color,
    format_delta,
    format_raw,
    format_value,
    to_decimal,
    trend_rows,
    values_by_kpi,
)
from dashboards.i18n import kpi_name, t

CARDS_PER_ROW = 4


# -- names and definitions ------------------------------------------------------------------------


def _dictionary(ctx: PageContext) -> dict[str, dict[str, Any]]:
    df = queries.kpi_dictionary(ctx.snapshot.key, ctx.reader)
    return {row["kpi_id"]: row for row in df.to_dict("records")}


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def _name(spec_id: str, dictionary: dict[str, dict[str, Any]], lang: str) -> str:
    return _text(dictionary.get(spec_id, {}).get(f"name_{lang}")) or kpi_name(spec_id, lang)


def _definition(spec_id: str, dictionary: dict[str, dict[str, Any]], lang: str) -> str:
    return _text(dictionary.get(spec_id, {}).get(f"definition_{lang}")) or t("definition_missing", lang)


def _display_frame(df: pd.DataFrame) -> pd.DataFrame:
    """Decimals as exact text for on-screen tables (downloads keep the numbers)."""
    out = df.copy()
    for col in out.columns:
        if out[col].dtype == object and any(isinstance(v, Decimal) for v in out[col].head(50)):
            out[col] = [None if to_decimal(v) is None else format_raw(v) for v in out[col]]
    return out


# -- indicator cards ---------------------------------------------------------------------------------


def _help(spec: KpiSpec, row: dict | None, prev: dict | None, definition: str, lang: str) -> str:
    parts = [t("help_definition", lang, definition=definition)]
    value = None if row is None else row.get("value")
    if to_decimal(value) is None:
        parts.append(t("help_no_value", lang))
    else:
        parts.append(t("help_raw", lang, raw=format_raw(value)))
        num, den = row.get("numerator"), row.get("denominator")
        if to_decimal(num) is not None and to_decimal(den) is not None:
            parts.append(t("help_parts", lang, num=format_raw(num), den=format_raw(den)))
    if prev is not None and to_decimal(prev.get("value")) is not None:
        parts.append(t("help_prev", lang, prev=format_value(prev["value"], spec, lang)))
    return "\n\n".join(parts)


def _group_note(group: str, ctx: PageContext, lang: str) -> str:
    y, f = ctx.academic_year, ctx.fiscal_year
    return t(
        f"group_{group}_note",
        lang,
        census=f"{y}-09-30",
        census_next=f"{y + 1}-09-30",
        ay=t("academic_year_fmt", lang, y=y, y1=y + 1),
        fy=t("fiscal_year_fmt", lang, y=f),
    )


def _cards(ctx: PageContext, cur: dict, prev: dict, dictionary: dict) -> None:
    lang = ctx.lang
    for group in GROUPS:
        st.subheader(t(f"group_{group}", lang))
        st.caption(_group_note(group, ctx, lang))
        specs = in_group(group)
        for start in range(0, len(specs), CARDS_PER_ROW):
            columns = st.columns(CARDS_PER_ROW)
            for column, spec in zip(columns, specs[start : start + CARDS_PER_ROW], strict=False):
                row, before = cur.get(spec.id), prev.get(spec.id)
                value = None if row is None else row.get("value")
                previous = None if before is None else before.get("value")
                with column, st.container(border=True, key=f"kpi_{spec.id}"):
                    st.metric(
                        _name(spec.id, dictionary, lang),
                        format_value(value, spec, lang),
                        delta=format_delta(value, previous, spec, lang),
                        delta_color=delta_color(spec),
                        delta_description=t("vs_prev_year", lang),
                        help=_help(spec, row, before, _definition(spec.id, dictionary, lang), lang),
                    )


def _kpi_table(ctx: PageContext, cur: dict, prev: dict, dictionary: dict) -> pd.DataFrame:
    lang = ctx.lang
    records = []
    for group in GROUPS:
        for spec in in_group(group):
            row, before = cur.get(spec.id) or {}, prev.get(spec.id) or {}
            records.append(
                {
                    t("col_kpi_id", lang): spec.id,
                    t("col_kpi_name", lang): _name(spec.id, dictionary, lang),
                    t("col_group", lang): t(f"group_{group}", lang),
                    t("col_value", lang): to_decimal(row.get("value")),
                    t("col_display", lang): format_value(row.get("value"), spec, lang),
                    t("col_unit", lang): t(spec.unit_key, lang),
                    t("col_numerator", lang): to_decimal(row.get("numerator")),
                    t("col_denominator", lang): to_decimal(row.get("denominator")),
                    t("col_prev_value", lang): to_decimal(before.get("value")),
                    t("col_change", lang): change(row.get("value"), before.get("value")),
                    t("col_definition", lang): _definition(spec.id, dictionary, lang),
                }
            )
    return pd.DataFrame.from_records(records)


def _ratio_bars(ctx: PageContext, cur: dict, dictionary: dict) -> None:
    lang = ctx.lang
    rows = []
    for spec in (s for s in BY_ID.values() if s.kind == "ratio"):
        value = (cur.get(spec.id) or {}).get("value")
        if to_decimal(value) is None:
            continue
        rows.append(
            {
                "kpi_id": spec.id,
                "name": _name(spec.id, dictionary, lang),
                "plot": float(to_decimal(value)),
                "label": format_value(value, spec, lang),
                "raw": to_decimal(value),
            }
        )
    if not rows:
        return
    df = pd.DataFrame(rows)
    title = t(
        "ratio_bar_title",
        lang,
        ay=t("academic_year_fmt", lang, y=ctx.academic_year, y1=ctx.academic_year + 1),
    )
    with st.container(key="ratio_bars"):
        charts.show(charts.ratio_bars_spec(df.drop(columns=["raw"]), title, lang), title)
        table = df.rename(
            columns={
                "kpi_id": t("col_kpi_id", lang),
                "name": t("col_kpi_name", lang),
                "raw": t("col_value", lang),
                "label": t("col_display", lang),
            }
        ).drop(columns=["plot"])
        download_buttons(table, f"overview_ratios_{ctx.academic_year}_{ctx.fiscal_year}", lang)


# -- basic running conditions ---------------------------------------------------------------------


def _thresholds(ctx: PageContext) -> tuple[tuple[str, float, float], ...]:
    """The configured (pass, limiting) line per condition, hashable for caching."""
    out = []
    for cspec in CONDITIONS:
        lines = getattr(ctx.settings.thresholds, cspec.kpi_id)
        if cspec.direction == "max":
            out.append((cspec.kpi_id, float(lines.pass_max), float(lines.limit_max)))
        else:
            out.append((cspec.kpi_id, float(lines.pass_min), float(lines.limit_min)))
    return tuple(out)


def _condition_rows(
    cspec: ConditionSpec,
    values: pd.DataFrame,
    years: list[int],
    published: pd.DataFrame | None,
    configured: tuple[float, float],
) -> tuple[list[ConditionResult], bool]:
    """One judgement per year; lines (and flags) as published in fct_running_conditions when the
    snapshot has them, else from the configuration.  Returns (results, any published row used)."""
    results, used_published = [], False
    kpi = values[values["kpi_id"] == cspec.kpi_id]
    by_year = {int(y): v for y, v in zip(kpi["academic_year"], kpi["value"], strict=True) if not pd.isna(y)}
    rows: dict[int, dict] = {}
    if published is not None:
        for row in published[published["kpi_id"] == cspec.kpi_id].to_dict("records"):
            if not pd.isna(row["academic_year"]):
                rows[int(row["academic_year"])] = row
    for year in years:
        value, row = by_year.get(year), rows.get(year)
        if row is not None:
            used_published = True
            published_value = row.get("value")
            results.append(
                condition_result(
                    cspec,
                    published_value if to_decimal(published_value) is not None else value,
                    row["pass_line"],
                    row["limit_line"],
                    row.get("meets_pass"),
                    row.get("meets_limit"),
                )
            )
        else:
            results.append(condition_result(cspec, value, *configured))
    return results, used_published


@st.cache_data(show_spinner=False, max_entries=128)
def _condition_view(
    snapshot_key: str,
    _values: pd.DataFrame,
    _published: pd.DataFrame | None,
    _names: dict[str, str],
    thresholds: tuple[tuple[str, float, float], ...],
    lang: str,
    academic_year: int,
) -> dict[str, Any]:
    """Judgements, chart specs and the download table for the running conditions.  Cached on the
    snapshot, thresholds, language and year (the ``_`` arguments follow from the snapshot)."""
    years = list(range(academic_year - 9, academic_year + 1))
    configured = {k: (p, lim) for k, p, lim in thresholds}
    current, charts_out, table_rows, any_published = [], [], [], False
    for cspec in CONDITIONS:
        spec, name = BY_ID[cspec.kpi_id], _names[cspec.kpi_id]
        results, used = _condition_rows(cspec, _values, years, _published, configured[cspec.kpi_id])
        any_published = any_published or used
        last = results[-1]
        current.append(last)
        known = [(yr, r) for yr, r in zip(years, results, strict=True) if r.value is not None]
        plot = pd.DataFrame(
            {
                "year": [str(yr) for yr, _ in known],
                "plot": [charts.plot_value(r.value, spec, lang) for _, r in known],
                "label": [format_value(r.value, spec, lang) for _, r in known],
            }
        )
        title = t("rc_trend_title", lang, name=name)
        pass_line = None if last.pass_line is None else float(last.pass_line)
        limit_line = None if last.limit_line is None else float(last.limit_line)
        charts_out.append(
            (title, charts.condition_chart(plot, title, spec, pass_line, limit_line, lang).to_dict())
        )
        for yr, r in known:
            table_rows.append(
                {
                    t("col_kpi_id", lang): spec.id,
                    t("col_kpi_name", lang): name,
                    t("col_academic_year", lang): yr,
                    t("col_value", lang): r.value,
                    t("col_display", lang): format_value(r.value, spec, lang),
                    t("col_pass_line", lang): r.pass_line,
                    t("col_limit_line", lang): r.limit_line,
                    t("col_meets_pass", lang): _yes_no(r.meets_pass, lang),
                    t("col_meets_limit", lang): _yes_no(r.meets_limit, lang),
                }
            )
    return {
        "current": current,
        "any_published": any_published,
        "charts": charts_out,
        "table": pd.DataFrame.from_records(table_rows),
    }


def _line_text(spec: KpiSpec, direction: str, line: Decimal | None, lang: str) -> str:
    if line is None:
        return t("no_value", lang)
    return t("rc_line_max" if direction == "max" else "rc_line_min", lang, v=format_value(line, spec, lang))


def _status_text(r: ConditionResult, lang: str) -> str:
    if r.meets_limit is False:
        return t("rc_status_limit", lang)
    if r.meets_pass is False:
        return t("rc_status_below_pass", lang)
    if r.meets_pass is None or r.meets_limit is None:
        return t("rc_status_unknown", lang)
    return t("rc_status_pass", lang)


def _yes_no(flag: bool | None, lang: str) -> str:
    return t("no_value", lang) if flag is None else t("yes" if flag else "no", lang)


def _running_conditions(
    ctx: PageContext, values: pd.DataFrame, names: dict[str, str], dictionary: dict, cur: dict, prev: dict
) -> None:
    lang, y = ctx.lang, ctx.academic_year
    st.subheader(t("rc_title", lang))
    st.caption(t("rc_caption", lang))
    published = queries.running_conditions(ctx.snapshot.key, ctx.reader)
    view = _condition_view(ctx.snapshot.key, values, published, names, _thresholds(ctx), lang, y)
    current: list[ConditionResult] = view["current"]

    columns = st.columns(len(CONDITIONS))
    for column, cspec, r in zip(columns, CONDITIONS, current, strict=True):
        spec = BY_ID[cspec.kpi_id]
        before = (prev.get(spec.id) or {}).get("value")
        with column, st.container(border=True, key=f"rc_{spec.id}"):
            st.metric(
                names[spec.id],
                format_value(r.value, spec, lang),
                delta=format_delta(r.value, before, spec, lang),
                delta_color=delta_color(spec),
                delta_description=t("vs_prev_year", lang),
                help=_help(
                    spec, cur.get(spec.id), prev.get(spec.id), _definition(spec.id, dictionary, lang), lang
                ),
            )
            st.caption(
                t(
                    "rc_lines_caption",
                    lang,
                    pass_line=_line_text(spec, cspec.direction, r.pass_line, lang),
                    limit_line=_line_text(spec, cspec.direction, r.limit_line, lang),
                )
            )
            st.markdown(_status_text(r, lang))

    colour, n = card(current)
    with st.container(key="rc_card"):
        message = t(f"card_{colour}", lang, n=n)
        if colour == "red":
            st.error(message, icon=":material/block:")
        elif colour == "yellow":
            st.warning(message, icon=":material/warning:")
        elif colour == "none":
            st.success(message, icon=":material/check_circle:")
        else:
            st.info(message, icon=":material/help:")
        source = t("rc_source_snapshot" if view["any_published"] else "rc_source_config", lang)
        st.caption(t("rc_indicative", lang, source=source))

    for column, (title, spec) in zip(st.columns(len(CONDITIONS)), view["charts"], strict=True):
        with column:
            charts.show(spec, title)
    download_buttons(view["table"], f"overview_running_conditions_{y}", lang)


# -- ten-year trends ---------------------------------------------------------------------------------


@st.cache_data(show_spinner=False, max_entries=128)
def _trend_view(
    snapshot_key: str,
    _values: pd.DataFrame,
    _names: dict[str, str],
    lang: str,
    academic_year: int,
    fiscal_year: int,
) -> list[dict[str, Any]]:
    """Per group: chart specs and the download table.  Cached on snapshot, language and years."""
    out = []
    for group in GROUPS:
        specs = in_group(group)
        rows = trend_rows(_values, specs, academic_year, fiscal_year)
        view: dict[str, Any] = {"group": group, "charts": [], "table": None}
        out.append(view)
        if rows.empty or rows["value"].map(to_decimal).isna().all():
            continue
        for spec in specs:
            plot = charts.trend_frame(rows, spec, lang)
            if not plot.empty:
                title = _names[spec.id]
                view["charts"].append((title, charts.trend_spec(plot, title, spec, lang)))
        view["table"] = pd.DataFrame(
            {
                t("col_kpi_id", lang): rows["kpi_id"],
                t("col_kpi_name", lang): [_names[k] for k in rows["kpi_id"]],
                t("col_year", lang): rows["year"].astype(int),
                t("col_value", lang): rows["value"].map(to_decimal),
                t("col_display", lang): [
                    format_value(v, BY_ID[k], lang)
                    for k, v in zip(rows["kpi_id"], rows["value"], strict=True)
                ],
                t("col_numerator", lang): rows["numerator"].map(to_decimal),
                t("col_denominator", lang): rows["denominator"].map(to_decimal),
            }
        )
    return out


def _trends(ctx: PageContext, values: pd.DataFrame, names: dict[str, str]) -> None:
    lang = ctx.lang
    st.subheader(t("trend_title", lang))
    st.caption(t("trend_caption", lang))
    views = _trend_view(ctx.snapshot.key, values, names, lang, ctx.academic_year, ctx.fiscal_year)
    tabs = st.tabs([t(f"group_{v['group']}", lang) for v in views])
    for tab, view in zip(tabs, views, strict=True):
        with tab, st.container(key=f"trend_{view['group']}"):
            if view["table"] is None:
                st.info(t("trend_empty", lang))
                continue
            columns = st.columns(3)
            for i, (title, spec) in enumerate(view["charts"]):
                with columns[i % 3]:
                    charts.show(spec, title)
            download_buttons(
                view["table"], f"overview_trend_{view['group']}_{ctx.academic_year}_{ctx.fiscal_year}", lang
            )


# -- the page -------------------------------------------------------------------------------------------


def render() -> None:
    ctx = get_context()
    lang, y, f = ctx.lang, ctx.academic_year, ctx.fiscal_year
    values = queries.kpi_values(ctx.snapshot.key, ctx.reader)
    dictionary = _dictionary(ctx)
    names = {spec.id: _name(spec.id, dictionary, lang) for spec in KPIS}
    cur = values_by_kpi(values, y, f)
    prev = values_by_kpi(values, y - 1, f - 1)

    st.title(t("overview_title", lang))
    st.caption(
        t(
            "overview_caption",
            lang,
            ay=t("academic_year_fmt", lang, y=y, y1=y + 1),
            census=f"{y}-09-30",
            fy=t("fiscal_year_fmt", lang, y=f),
        )
    )
    _cards(ctx, cur, prev, dictionary)
    st.divider()
    _running_conditions(ctx, values, names, dictionary, cur, prev)
    st.divider()
    _ratio_bars(ctx, cur, dictionary)
    _trends(ctx, values, names)
    st.divider()
    with st.expander(t("kpi_table_title", lang), icon=":material/menu_book:"), st.container(key="kpi_table"):
        st.caption(t("kpi_table_caption", lang))
        table = _kpi_table(ctx, cur, prev, dictionary)
        st.dataframe(_display_frame(table), hide_index=True, width="stretch")
        download_buttons(table, f"overview_indicators_{y}_{f}", lang)


if has_context():
    render()
else:
    # Run directly rather than by the shell: Streamlit's legacy `pages/`-folder mode does this on
    # the first run of a fresh server (and AppTest on every rerun).  Go through the shell, which
    # sets the context and runs this page again.
    from dashboards.app import main

    main()
