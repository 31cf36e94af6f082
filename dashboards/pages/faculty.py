"""师资 / Faculty: full-time teachers by title level, degree, age band and unit; external teachers;
student-teacher ratio by unit against the lines; double-qualified share; joiners and leavers per year.
Published aggregates only (docs/marts-for-dashboards.md).

Element keys: ``m_<card>``, ``sec_fulltime|external|str|double|staff_flows``, ``chart_faculty_unit`` /
``drill_faculty_unit``, ``tbl_<stem>``, downloads ``dl_csv_<stem>_<Y>_<F>[_<unit>]``.
"""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
import streamlit as st

from dashboards import charts
from dashboards import views as v
from dashboards.context import PageContext, get_context, has_context
from dashboards.i18n import t

FACULTY = "agg_faculty_census"
EXTERNAL = "agg_external_teachers"
RATIO = "agg_unit_student_teacher_ratio"
STAFF_FLOWS = "agg_staff_flows"

TITLE_ORDER = ["正高", "副高", "中级", "初级", "未定职级"]

COLUMNS = {
    "unit_code": "col_unit_code",
    "unit_name": "col_unit_name",
    "title_level": "col_title_level",
    "degree": "col_degree",
    "age_band": "col_age_band",
    "double": "col_double",
    "teachers": "col_fulltime_teachers",
    "share": "col_share",
    "external": "col_external_teachers",
    "fte_students": "col_fte",
    "teachers_total": "col_teachers_total",
    "ratio": "col_str",
    "year": "col_year",
    "category": "col_staff_category",
    "joiners": "col_joiners",
    "leavers": "col_leavers",
}


def _faculty_frame(ctx: PageContext, df: pd.DataFrame) -> pd.DataFrame:
    lang = ctx.lang
    return pd.DataFrame(
        {
            "unit_code": df["unit_code"].astype("string"),
            "unit_name": v.names(df, "unit_code", "unit_name", lang),
            "title_code": df["title_level"].astype("string").fillna("未定职级")
            if "title_level" in df
            else "",
            "title_level": df["title_level"]
            .astype("string")
            .fillna("未定职级")
            .map(lambda c: v.code_name("title_level", c, lang))
            if "title_level" in df
            else "",
            "degree": v.names(df, "degree_code", "degree_name", lang, "degree")
            if "degree_code" in df
            else "",
            "age_band": df["age_band"].astype("string").fillna(t("code_none", lang))
            if "age_band" in df
            else "",
            "dq": df["is_double_qualified"].fillna(False).astype(bool)
            if "is_double_qualified" in df
            else False,
            "double": df["is_double_qualified"].map(lambda x: v.code_name("bool", str(x), lang))
            if "is_double_qualified" in df
            else "",
            "teachers": v.num(df["fulltime_teachers"]).astype(int),
        }
    )


def _count_bars(g: pd.DataFrame, by: str, code: str | None = None) -> pd.DataFrame:
    total = g["teachers"].sum()
    return pd.DataFrame(
        {
            "code": g[code].astype(str) if code else g[by].astype(str),
            "name": g[by].astype(str),
            "plot": g["teachers"].astype(float),
            "label": [f"{n:,} ({v.pct(v.rate(n, total), 1)})" for n in g["teachers"]],
        }
    )


def _fulltime(ctx: PageContext, fac: pd.DataFrame) -> None:
    lang, y = ctx.lang, ctx.academic_year
    st.subheader(t("sec_fulltime", lang))
    st.caption(t("sec_fulltime_note", lang, census=f"{y}-09-30"))
    if fac.empty:
        st.info(t("no_rows", lang))
        return
    axis = t("axis_teachers", lang)
    tabs = st.tabs([t(k, lang) for k in ("tab_by_title", "tab_by_degree", "tab_by_age", "tab_by_unit")])
    order = {c: i for i, c in enumerate(TITLE_ORDER)}
    with tabs[0]:
        g = fac.groupby(["title_code", "title_level"], sort=False)["teachers"].sum().reset_index()
        g = g.sort_values("title_code", key=lambda s: s.map(lambda c: order.get(c, 99)))
        g["share"] = [v.rate(n, g["teachers"].sum()) for n in g["teachers"]]
        v.bar(
            ctx, _count_bars(g, "title_level"), t("chart_teachers_by", lang, by=t("tab_by_title", lang)), axis
        )
        v.table(ctx, v.frame(g, COLUMNS, lang), "faculty_by_title")
    with tabs[1]:
        g = (
            fac.groupby("degree", sort=False)["teachers"]
            .sum()
            .reset_index()
            .sort_values("teachers", ascending=False)
        )
        g["share"] = [v.rate(n, g["teachers"].sum()) for n in g["teachers"]]
        v.bar(ctx, _count_bars(g, "degree"), t("chart_teachers_by", lang, by=t("tab_by_degree", lang)), axis)
        v.table(ctx, v.frame(g, COLUMNS, lang), "faculty_by_degree")
    with tabs[2]:
        g = fac.groupby("age_band", sort=True)["teachers"].sum().reset_index()
        g["share"] = [v.rate(n, g["teachers"].sum()) for n in g["teachers"]]
        v.bar(ctx, _count_bars(g, "age_band"), t("chart_teachers_by", lang, by=t("tab_by_age", lang)), axis)
        v.table(ctx, v.frame(g, COLUMNS, lang), "faculty_by_age")
    with tabs[3]:
        g = fac.groupby(["unit_code", "unit_name"], dropna=False)["teachers"].sum().reset_index()
        g = g.sort_values("teachers", ascending=False)
        g["share"] = [v.rate(n, g["teachers"].sum()) for n in g["teachers"]]
        title = t("chart_teachers_by", lang, by=t("tab_by_unit", lang))
        picked = v.drill_bar(ctx, _count_bars(g, "unit_name", "unit_code"), "faculty_unit", title, axis)
        if picked is not None:
            rows = fac[fac["unit_code"] == picked]
            detail = (
                rows.groupby(["title_code", "title_level", "degree", "age_band", "double"], dropna=False)[
                    "teachers"
                ]
                .sum()
                .reset_index()
                .sort_values("title_code", key=lambda s: s.map(lambda c: order.get(c, 99)))
            )
            name = rows["unit_name"].iloc[0] if len(rows) else picked
            st.markdown(f"**{t('drill_unit_faculty', lang, unit=name)}**")
            v.table(ctx, v.frame(detail, COLUMNS, lang), "faculty_unit_drill", height=300)
        v.table(ctx, v.frame(g, COLUMNS, lang), "faculty_by_unit")


def _external(ctx: PageContext, ext: pd.DataFrame) -> None:
    lang = ctx.lang
    st.subheader(t("sec_external", lang))
    if not v.need_columns(ctx, ext, EXTERNAL, ["unit_code", "external_teachers"]):
        return
    g = pd.DataFrame(
        {
            "unit_code": ext["unit_code"].astype("string"),
            "unit_name": v.names(ext, "unit_code", "unit_name", lang),
            "external": v.num(ext["external_teachers"]).astype(int),
        }
    )
    g = g.groupby(["unit_code", "unit_name"], dropna=False)["external"].sum().reset_index()
    g = g.sort_values("external", ascending=False)
    bars = pd.DataFrame(
        {
            "name": g["unit_name"],
            "plot": g["external"].astype(float),
            "label": [f"{n:,}" for n in g["external"]],
        }
    )
    v.bar(ctx, bars, t("chart_external", lang), t("axis_teachers", lang))
    v.table(ctx, v.frame(g, COLUMNS, lang), "faculty_external")


def _lines(ctx: PageContext) -> tuple[tuple[str, float, str], ...]:
    lines = ctx.settings.thresholds.student_teacher_ratio
    return (
        (t("rc_pass_line", ctx.lang), float(lines.pass_max), charts.PASS_COLOUR),
        (t("rc_limit_line", ctx.lang), float(lines.limit_max), charts.LIMIT_COLOUR),
    )


def _ratio(ctx: PageContext, ratio: pd.DataFrame) -> None:
    lang = ctx.lang
    st.subheader(t("sec_str", lang))
    st.caption(t("sec_str_note", lang))
    needed = ["unit_code", "fte_students", "fulltime_teachers", "external_teachers"]
    if not v.need_columns(ctx, ratio, RATIO, needed):
        return
    df = pd.DataFrame(
        {
            "unit_code": ratio["unit_code"].astype("string"),
            "unit_name": v.names(ratio, "unit_code", "unit_name", lang),
            "fte_students": ratio["fte_students"],
            "teachers": v.num(ratio["fulltime_teachers"]).astype(int),
            "external": v.num(ratio["external_teachers"]).astype(int),
            "teachers_total": ratio.get("teachers_total"),
            "ratio": ratio.get("student_teacher_ratio"),
        }
    )
    plot = (
        v.num(df["ratio"])
        if "student_teacher_ratio" in ratio
        else v.num(df["fte_students"]) / (df["teachers"] + 0.5 * df["external"]).replace(0, float("nan"))
    )
    df = df.assign(plot=plot.astype(float)).sort_values("plot", ascending=False)
    bars = pd.DataFrame(
        {
            "name": df["unit_name"],
            "plot": df["plot"].fillna(0.0),
            "label": [f"{x:,.2f}" for x in df["plot"].fillna(0.0)],
        }
    )
    v.bar(ctx, bars, t("chart_str", lang), t("axis_ratio", lang), fmt=",.0f", rules=_lines(ctx))
    v.table(ctx, v.frame(df, COLUMNS, lang), "faculty_student_teacher_ratio")


def _double(ctx: PageContext, fac: pd.DataFrame) -> None:
    lang = ctx.lang
    st.subheader(t("sec_double", lang))
    if fac.empty:
        st.info(t("no_rows", lang))
        return
    g = (
        fac.assign(dq_n=fac["teachers"].where(fac["dq"], 0))
        .groupby(["unit_code", "unit_name"], dropna=False)[["teachers", "dq_n"]]
        .sum()
        .reset_index()
    )
    g["share"] = [v.rate(d, n) for d, n in zip(g["dq_n"], g["teachers"], strict=True)]
    g = g.sort_values("share", ascending=False, na_position="last")
    bars = pd.DataFrame(
        {
            "name": g["unit_name"],
            "plot": g["share"].fillna(0.0).astype(float),
            "label": [v.pct(s) for s in g["share"]],
        }
    )
    v.bar(ctx, bars, t("chart_double", lang), t("col_share", lang), fmt=".0%", share=True)
    out = g.rename(columns={"dq_n": "double"})
    cols = {**COLUMNS, "double": "col_double"}
    v.table(ctx, v.frame(out, cols, lang), "faculty_double_qualified")


def _staff_flows(ctx: PageContext, flows: pd.DataFrame) -> None:
    lang = ctx.lang
    st.subheader(t("sec_staff_flows", lang))
    st.caption(t("sec_staff_flows_note", lang))
    if not v.need_columns(ctx, flows, STAFF_FLOWS, ["year", "joiners", "leavers"]):
        return
    df = pd.DataFrame(
        {
            "year": v.num(flows["year"]).astype(int),
            "category_code": flows["staff_category_code"].astype("string")
            if "staff_category_code" in flows
            else "",
            "category": v.names(flows, "staff_category_code", "staff_category_name", lang, "staff_category")
            if "staff_category_code" in flows
            else "",
            "joiners": v.num(flows["joiners"]).astype(int),
            "leavers": v.num(flows["leavers"]).astype(int),
        }
    )
    df = df[(df["year"] > ctx.academic_year - 10) & (df["year"] <= ctx.academic_year + 1)]
    cats = dict(zip(df["category_code"].astype(str), df["category"].astype(str), strict=False))
    options = ["", *sorted(cats)]
    if st.session_state.get("staff_category") not in options:
        st.session_state["staff_category"] = ""
    cat = st.selectbox(
        t("staff_category_label", lang),
        options,
        key="staff_category",
        format_func=lambda c: cats.get(c, c) if c else t("all_categories", lang),
    )
    if cat:
        df = df[df["category_code"].astype(str) == cat]
    g = df.groupby("year")[["joiners", "leavers"]].sum().reset_index().sort_values("year")
    if g.empty:
        st.info(t("no_rows", lang))
        return
    plot = pd.concat(
        [
            pd.DataFrame(
                {
                    "x": g["year"].astype(str),
                    "plot": g[m].astype(float),
                    "label": [f"{n:,}" for n in g[m]],
                    "series": t(f"col_{m}", lang),
                }
            )
            for m in ("joiners", "leavers")
        ]
    )
    title = t("chart_staff_flows", lang)
    charts.show(
        charts.grouped_bars_spec(
            plot.reset_index(drop=True), title, t("col_year", lang), t("axis_teachers", lang)
        ),
        title,
    )
    detail = df.groupby(["year", "category"], dropna=False)[["joiners", "leavers"]].sum().reset_index()
    v.table(ctx, v.frame(detail.sort_values(["year", "category"]), COLUMNS, lang), "faculty_staff_flows")


def _cards(ctx: PageContext, fac, ext, ratio) -> None:
    items = []
    teachers = dq = 0
    if fac is not None and not fac.empty:
        teachers = int(fac["teachers"].sum())
        dq = int(fac.loc[fac["dq"], "teachers"].sum())
        items.append(lambda: v.kpi_metric(ctx, "fulltime_teachers", "fulltime_teachers", Decimal(teachers)))
    external = None
    if ext is not None and "external_teachers" in ext:
        external = int(v.num(ext["external_teachers"]).sum())
        items.append(lambda: v.kpi_metric(ctx, "external_teachers", "external_teachers", Decimal(external)))
    if ctx.unit_code is None:
        ratio_value = v.published(ctx, "student_teacher_ratio")
        items.append(lambda: v.kpi_metric(ctx, "student_teacher_ratio", "student_teacher_ratio", ratio_value))
    elif ratio is not None and "student_teacher_ratio" in ratio and len(ratio):
        unit_ratio = ratio["student_teacher_ratio"].iloc[0]
        items.append(lambda: v.kpi_metric(ctx, "student_teacher_ratio", "student_teacher_ratio", unit_ratio))
    if fac is not None and not fac.empty:
        share = Decimal(dq) / Decimal(teachers) if teachers else None
        parts = [t("help_parts", ctx.lang, num=f"{dq:,}", den=f"{teachers:,}")]
        items.append(
            lambda: v.kpi_metric(
                ctx, "pct_teachers_double_qualified", "pct_teachers_double_qualified", share, parts
            )
        )
    if items:
        v.metric_row(items)


def render() -> None:
    ctx = get_context()
    lang, y = ctx.lang, ctx.academic_year
    v.page_header(ctx, "faculty")
    raw_fac = v.load(ctx, FACULTY, y)
    fac = None
    if raw_fac is not None and {"unit_code", "fulltime_teachers"}.issubset(raw_fac.columns):
        fac = _faculty_frame(ctx, raw_fac)
    ext = v.load(ctx, EXTERNAL, y)
    ratio = v.load(ctx, RATIO, y)
    flows = v.load(ctx, STAFF_FLOWS)
    _cards(ctx, fac, ext, ratio)
    sections = (
        (
            "sec_fulltime",
            FACULTY,
            raw_fac,
            lambda: (
                _fulltime(ctx, fac)
                if fac is not None
                else v.need_columns(ctx, raw_fac, FACULTY, ["unit_code", "fulltime_teachers"])
            ),
        ),
        ("sec_external", EXTERNAL, ext, lambda: _external(ctx, ext)),
        ("sec_str", RATIO, ratio, lambda: _ratio(ctx, ratio)),
        ("sec_double", FACULTY, fac, lambda: _double(ctx, fac)),
        ("sec_staff_flows", STAFF_FLOWS, flows, lambda: _staff_flows(ctx, flows)),
    )
    for key, table, df, draw in sections:
        st.divider()
        with st.container(key=key):
            if df is None:
                st.subheader(t(key, lang))
                v.missing_note(ctx, [table])
                continue
            draw()


if has_context():
    render()
else:
    # Run directly rather than by the shell (Streamlit's legacy `pages/` mode, AppTest): go through
    # the shell, which sets the context and runs this page again.
    from dashboards.app import main

    main()
