"""Altair charts for the dashboards, made to be read at a glance and in print.

Print-friendly choices: dark solid marks on white, value labels on the marks (no reliance on
hover), point markers on lines, axis labels large enough for A4, long Chinese category names on the
vertical axis of horizontal bars (never rotated), and an explicit ``labelLimit`` so they aren't cut.
"""

from __future__ import annotations

import functools
import json
from decimal import Decimal

import altair as alt
import pandas as pd
import streamlit as st

from dashboards.catalog import KPIS, KpiSpec
from dashboards.formatting import MILLION, WAN, format_value, to_decimal
from dashboards.i18n import t

INK = "#1f4e79"
PASS_COLOUR = "#b7791f"  # amber: the pass line
LIMIT_COLOUR = "#c53030"  # red: the enrolment-limiting line
FONT_SIZE = 12


def _finish(chart: alt.TopLevelMixin) -> alt.TopLevelMixin:
    return (
        chart.configure_axis(labelFontSize=FONT_SIZE, titleFontSize=FONT_SIZE, gridColor="#e2e8f0")
        .configure_title(fontSize=FONT_SIZE + 1, anchor="start")
        .configure_legend(labelFontSize=FONT_SIZE, titleFontSize=FONT_SIZE, orient="bottom")
        .configure_view(stroke=None)
    )


def money_scale(lang: str) -> Decimal:
    return WAN if lang == "zh" else MILLION


def plot_value(value: object, spec: KpiSpec, lang: str) -> float | None:
    """The number a chart plots: fractions stay fractions (the axis shows %), money is scaled to
    万元 (zh) or million yuan (en), the rest as published."""
    v = to_decimal(value)
    if v is None:
        return None
    if spec.kind == "money":
        v = v / money_scale(lang)
    return float(v)


def _y_axis(spec: KpiSpec, lang: str) -> alt.Y:
    if spec.kind == "ratio":
        return alt.Y("plot:Q", title=None, axis=alt.Axis(format=".0%"), scale=alt.Scale(zero=False))
    if spec.kind == "money":
        return alt.Y("plot:Q", title=t("axis_money", lang), axis=alt.Axis(format=",.0f"))
    fmt = ",d" if spec.kind == "count" else ",.1f"
    return alt.Y("plot:Q", title=None, axis=alt.Axis(format=fmt), scale=alt.Scale(zero=False))


def trend_frame(rows: pd.DataFrame, spec: KpiSpec, lang: str) -> pd.DataFrame:
    """Plot data for one indicator: year label, plotted number, the label shown on the point."""
    df = rows[rows["kpi_id"] == spec.id]
    return pd.DataFrame(
        {
            "year": [str(int(y)) for y in df["year"]],
            "plot": [plot_value(v, spec, lang) for v in df["value"]],
            "label": [format_value(v, spec, lang) for v in df["value"]],
        }
    ).dropna(subset=["plot"])


def trend_chart(
    plot: pd.DataFrame, title: str, spec: KpiSpec, lang: str, height: int = 190
) -> alt.TopLevelMixin:
    base = alt.Chart(plot).encode(
        x=alt.X("year:O", title=None, axis=alt.Axis(labelAngle=0)),
        y=_y_axis(spec, lang),
        tooltip=[
            alt.Tooltip("year:O", title=t("axis_year", lang)),
            alt.Tooltip("label:N", title=t("axis_value", lang)),
        ],
    )
    line = base.mark_line(color=INK, strokeWidth=2.5)
    points = base.mark_point(color=INK, filled=True, size=45)
    labels = base.mark_text(dy=-10, fontSize=10, color="#1a202c").encode(text="label:N")
    chart = alt.layer(line, points, labels, title=alt.TitleParams(title, limit=420))
    return _finish(chart.properties(height=height))


_TEMPLATE_NAME = "campus_dw_series"


@functools.lru_cache(maxsize=32)
def _trend_template(kind: str, lang: str) -> str:
    """The Vega-Lite spec of a trend chart for one kind of number, built (and validated) by Altair
    once; its data is one named dataset, filled in per chart by :func:`trend_spec`."""
    spec = next(k for k in KPIS if k.kind == kind)
    sample = pd.DataFrame({"year": ["2025"], "plot": [1.0], "label": ["1"]})
    out = trend_chart(sample, "title", spec, lang).to_dict()
    (name,) = out["datasets"]
    out["datasets"] = {_TEMPLATE_NAME: []}
    return json.dumps(out, ensure_ascii=False).replace(json.dumps(name), json.dumps(_TEMPLATE_NAME))


def trend_spec(plot: pd.DataFrame, title: str, spec: KpiSpec, lang: str) -> dict:
    """The spec of :func:`trend_chart` at a fraction of its cost (~0.1 s per Altair build)."""
    out = json.loads(_trend_template(spec.kind, lang))
    out["datasets"][_TEMPLATE_NAME] = plot[["year", "plot", "label"]].to_dict("records")
    out["title"]["text"] = title
    return out


def condition_chart(
    plot: pd.DataFrame,
    title: str,
    spec: KpiSpec,
    pass_line: float | None,
    limit_line: float | None,
    lang: str,
) -> alt.TopLevelMixin:
    """The indicator's trend with its pass line (amber) and enrolment-limiting line (red, dashed)."""
    layers: list[alt.Chart] = []
    base = alt.Chart(plot).encode(
        x=alt.X("year:O", title=None, axis=alt.Axis(labelAngle=0)),
        y=_y_axis(spec, lang),
        tooltip=[
            alt.Tooltip("year:O", title=t("axis_year", lang)),
            alt.Tooltip("label:N", title=t("axis_value", lang)),
        ],
    )
    layers += [base.mark_line(color=INK, strokeWidth=2.5), base.mark_point(color=INK, filled=True, size=45)]
    layers.append(base.mark_text(dy=-10, fontSize=10, color="#1a202c").encode(text="label:N"))
    lines = []
    if pass_line is not None:
        lines.append({"line": t("rc_pass_line", lang), "y": pass_line, "colour": PASS_COLOUR, "dash": 0})
    if limit_line is not None:
        lines.append({"line": t("rc_limit_line", lang), "y": limit_line, "colour": LIMIT_COLOUR, "dash": 1})
    if lines:
        ldf = pd.DataFrame(lines)
        domain = [x["line"] for x in lines]
        colours = [x["colour"] for x in lines]
        rule = (
            alt.Chart(ldf)
            .mark_rule(strokeWidth=2)
            .encode(
                y=alt.Y("y:Q"),
                color=alt.Color("line:N", scale=alt.Scale(domain=domain, range=colours), title=None),
                strokeDash=alt.StrokeDash(
                    "line:N",
                    scale=alt.Scale(domain=domain, range=[[1, 0], [6, 4]][: len(domain)]),
                    legend=None,
                ),
            )
        )
        layers.append(rule)
    return _finish(alt.layer(*layers, title=alt.TitleParams(title, limit=420)).properties(height=240))


def ratio_bars(df: pd.DataFrame, title: str, lang: str) -> alt.TopLevelMixin:
    """Horizontal bars, one per indicator (long Chinese names on the vertical axis), 0–100 %."""
    height = max(120, 34 * len(df))
    base = alt.Chart(df, title=alt.TitleParams(title, limit=600)).encode(
        y=alt.Y("name:N", sort=None, title=None, axis=alt.Axis(labelLimit=420, labelFontSize=FONT_SIZE)),
        x=alt.X(
            "plot:Q",
            title=t("axis_share", lang),
            axis=alt.Axis(format=".0%"),
            scale=alt.Scale(domain=[0, max(1.0, float(df["plot"].max() or 0))]),
        ),
        tooltip=[alt.Tooltip("name:N", title=None), alt.Tooltip("label:N", title=t("axis_value", lang))],
    )
    bars = base.mark_bar(color=INK, height=20)
    labels = base.mark_text(align="left", dx=4, fontSize=FONT_SIZE, color="#1a202c").encode(text="label:N")
    return _finish((bars + labels).properties(height=height))


# -- rendering -----------------------------------------------------------------------------------------
# Building and validating an Altair chart costs ~0.1 s and the overview has ~30: pages build specs
# (``chart.to_dict()``) inside cached functions, so a warm rerun only ships cached dicts.


@st.cache_data(show_spinner=False, max_entries=256)
def ratio_bars_spec(df: pd.DataFrame, title: str, lang: str) -> dict:
    return ratio_bars(df, title, lang).to_dict()


def show(spec: dict, title: str) -> None:
    """Render a cached spec full-width, with the title as the chart's accessible text."""
    st.vega_lite_chart(spec, width="stretch", alt=title)


# -- the domain pages' charts (Students, Faculty, Finance) ----------------------------------------------

SELECTION = "pick"  # the point-selection parameter of drill-down bar charts


def hbar(
    df: pd.DataFrame,
    title: str,
    value_title: str,
    *,
    fmt: str = ",d",
    share: bool = False,
    select_field: str | None = None,
    rules: tuple[tuple[str, float, str], ...] = (),
) -> alt.TopLevelMixin:
    """Horizontal bars: ``name`` (category, long Chinese names on the vertical axis), ``plot``
    (number), ``label`` (text on the bar).  ``select_field`` adds a click selection on that column
    (drill-down); ``rules`` draws vertical reference lines (label, x, colour)."""
    # One band per category (Streamlit would otherwise fit title, axes and bands into one height).
    height = alt.Step(30)
    x_scale = alt.Scale(domain=[0, max(1.0, float(df["plot"].max() or 0))]) if share else alt.Undefined
    tooltip = [alt.Tooltip("name:N", title=None), alt.Tooltip("label:N", title=value_title)]
    base = alt.Chart(df, title=alt.TitleParams(title, limit=640)).encode(
        y=alt.Y("name:N", sort=None, title=None, axis=alt.Axis(labelLimit=360, labelFontSize=FONT_SIZE)),
        x=alt.X(
            "plot:Q",
            title=value_title,
            axis=alt.Axis(format=fmt, tickMinStep=1 if fmt == ",d" else alt.Undefined),
            scale=x_scale,
        ),
        tooltip=tooltip,
    )
    bars = base.mark_bar(color=INK, height=18, cursor="pointer")
    if select_field is not None:
        pick = alt.selection_point(name=SELECTION, fields=[select_field], on="click", clear="dblclick")
        bars = bars.add_params(pick).encode(opacity=alt.condition(pick, alt.value(1.0), alt.value(0.45)))
    labels = base.mark_text(align="left", dx=4, fontSize=FONT_SIZE - 1, color="#1a202c").encode(
        text="label:N"
    )
    layers: list[alt.Chart] = [bars, labels]
    if rules:
        rdf = pd.DataFrame([{"line": n, "x": x, "colour": c} for n, x, c in rules])
        layers.append(
            alt.Chart(rdf)
            .mark_rule(strokeWidth=2, strokeDash=[6, 3])
            .encode(
                x="x:Q",
                color=alt.Color(
                    "line:N",
                    scale=alt.Scale(domain=list(rdf["line"]), range=list(rdf["colour"])),
                    title=None,
                ),
            )
        )
    return _finish(alt.layer(*layers).properties(height=height))


@st.cache_data(show_spinner=False, max_entries=512)
def hbar_spec(
    df: pd.DataFrame,
    title: str,
    value_title: str,
    fmt: str = ",d",
    share: bool = False,
    select_field: str | None = None,
    rules: tuple[tuple[str, float, str], ...] = (),
) -> dict:
    return hbar(
        df, title, value_title, fmt=fmt, share=share, select_field=select_field, rules=rules
    ).to_dict()


def series_lines(
    df: pd.DataFrame, title: str, x_title: str, y_title: str, *, fmt: str = ",.0f"
) -> alt.TopLevelMixin:
    """Lines with points, one per ``series``: ``x`` (ordinal), ``plot``, ``label``, ``series``."""
    domain = list(dict.fromkeys(df["series"]))
    palette = [INK, PASS_COLOUR, LIMIT_COLOUR, "#2f855a", "#6b46c1"][: len(domain)]
    base = alt.Chart(df, title=alt.TitleParams(title, limit=640)).encode(
        x=alt.X("x:O", title=x_title, axis=alt.Axis(labelAngle=0)),
        y=alt.Y("plot:Q", title=y_title, axis=alt.Axis(format=fmt)),
        color=alt.Color("series:N", scale=alt.Scale(domain=domain, range=palette), title=None),
        strokeDash=alt.StrokeDash(
            "series:N",
            scale=alt.Scale(domain=domain, range=[[1, 0], [6, 4], [2, 2], [8, 2], [1, 3]][: len(domain)]),
            legend=None,
        ),
        tooltip=[
            alt.Tooltip("series:N", title=None),
            alt.Tooltip("x:O", title=x_title),
            alt.Tooltip("label:N", title=y_title),
        ],
    )
    chart = alt.layer(base.mark_line(strokeWidth=2.5), base.mark_point(filled=True, size=40))
    return _finish(chart.properties(height=260))


@st.cache_data(show_spinner=False, max_entries=256)
def series_lines_spec(df: pd.DataFrame, title: str, x_title: str, y_title: str, fmt: str = ",.0f") -> dict:
    return series_lines(df, title, x_title, y_title, fmt=fmt).to_dict()


def grouped_bars(df: pd.DataFrame, title: str, x_title: str, y_title: str) -> alt.TopLevelMixin:
    """Vertical bars side by side per ``x`` for each ``series`` (e.g. joiners and leavers per year)."""
    domain = list(dict.fromkeys(df["series"]))
    palette = [INK, PASS_COLOUR, LIMIT_COLOUR, "#2f855a"][: len(domain)]
    base = alt.Chart(df, title=alt.TitleParams(title, limit=640)).encode(
        x=alt.X("x:O", title=x_title, axis=alt.Axis(labelAngle=0)),
        xOffset=alt.XOffset("series:N", sort=domain),
        y=alt.Y("plot:Q", title=y_title, axis=alt.Axis(format=",d")),
        color=alt.Color("series:N", scale=alt.Scale(domain=domain, range=palette), title=None),
        tooltip=[
            alt.Tooltip("series:N", title=None),
            alt.Tooltip("x:O"),
            alt.Tooltip("label:N", title=y_title),
        ],
    )
    bars = base.mark_bar()
    labels = base.mark_text(dy=-6, fontSize=FONT_SIZE - 2, color="#1a202c").encode(text="label:N")
    return _finish(alt.layer(bars, labels).properties(height=260))


@st.cache_data(show_spinner=False, max_entries=256)
def grouped_bars_spec(df: pd.DataFrame, title: str, x_title: str, y_title: str) -> dict:
    return grouped_bars(df, title, x_title, y_title).to_dict()
