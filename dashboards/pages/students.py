"""学生 / Students: census headcounts by unit, major, level, study mode and cohort; leave, transfer
and withdrawal flows; first-attempt pass rates by unit and course; students at academic risk;
graduates, degree award and destination rates.  Published aggregates only (docs/marts-for-dashboards.md).

Element keys: ``m_<card>``, ``sec_census|flows|pass|risk|grad``, ``chart_census_unit`` /
``drill_census_unit``, ``chart_pass_unit`` / ``drill_pass_unit``, ``tbl_<stem>``, downloads
``dl_csv_<stem>_<Y>_<F>[_<unit>]``.
"""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
import streamlit as st

from dashboards import views as v
from dashboards.context import PageContext, get_context, has_context
from dashboards.i18n import t

CENSUS = "agg_student_census"
FLOWS = "agg_student_flows"
PASS = "agg_pass_rates"
RISK = "agg_academic_risk"
GRAD = "agg_graduates"


def _census_frame(ctx: PageContext, df: pd.DataFrame) -> pd.DataFrame:
    lang = ctx.lang
    out = pd.DataFrame(
        {
            "unit_code": df["unit_code"].astype("string"),
            "unit_name": v.names(df, "unit_code", "unit_name", lang),
            "major_code": df["major_code"].astype("string") if "major_code" in df else None,
            "major_name": v.names(df, "major_code", "major_name", lang) if "major_code" in df else None,
            "level": v.names(df, "level_code", "level_name", lang, "level") if "level_code" in df else None,
            "study_mode": v.names(df, "study_mode_code", "study_mode_name", lang, "study_mode")
            if "study_mode_code" in df
            else None,
            "cohort": df["cohort_year"].astype("Int64") if "cohort_year" in df else None,
            "international": df["is_international"].map(lambda x: v.code_name("bool", str(x), lang))
            if "is_international" in df
            else None,
            "headcount": v.num(df["headcount"]).astype(int),
            "fte": v.num(df["fte"]) if "fte" in df else 0.0,
        }
    )
    return out


def _grouped(df: pd.DataFrame, by: str, code: str | None = None) -> pd.DataFrame:
    keys = [code, by] if code else [by]
    g = df.groupby(keys, dropna=False, sort=False)[["headcount", "fte"]].sum().reset_index()
    return g.sort_values("headcount", ascending=False)


def _bars(g: pd.DataFrame, by: str, code: str | None = None) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "code": g[code].astype(str) if code else g[by].astype(str),
            "name": g[by].astype(str),
            "plot": g["headcount"].astype(float),
            "label": [f"{int(x):,}" for x in g["headcount"]],
        }
    )


CENSUS_COLUMNS = {
    "unit_code": "col_unit_code",
    "unit_name": "col_unit_name",
    "major_code": "col_major_code",
    "major_name": "col_major_name",
    "level": "col_level",
    "study_mode": "col_study_mode",
    "cohort": "col_cohort",
    "international": "col_international",
    "headcount": "col_headcount",
    "fte": "col_fte",
}


def _census(ctx: PageContext, census: pd.DataFrame) -> None:
    lang, y = ctx.lang, ctx.academic_year
    st.subheader(t("sec_census", lang))
    st.caption(t("sec_census_note", lang, census=f"{y}-09-30"))
    if census.empty:
        st.info(t("no_rows", lang))
        return
    tabs = st.tabs(
        [t(k, lang) for k in ("tab_by_unit", "tab_by_major", "tab_by_level", "tab_by_mode", "tab_by_cohort")]
    )
    axis = t("axis_headcount", lang)
    with tabs[0]:
        g = _grouped(census, "unit_name", "unit_code")
        title = t("chart_headcount_by", lang, by=t("tab_by_unit", lang))
        picked = v.drill_bar(ctx, _bars(g, "unit_name", "unit_code"), "census_unit", title, axis)
        if picked is not None:
            rows = census[census["unit_code"] == picked]
            majors = (
                rows.groupby(["major_code", "major_name", "level", "study_mode"], dropna=False)[
                    ["headcount", "fte"]
                ]
                .sum()
                .reset_index()
                .sort_values("headcount", ascending=False)
            )
            st.markdown(
                f"**{t('drill_caption', lang, unit=rows['unit_name'].iloc[0] if len(rows) else picked)}**"
            )
            v.table(ctx, v.frame(majors, CENSUS_COLUMNS, lang), "students_census_drill")
        v.table(ctx, v.frame(g, CENSUS_COLUMNS, lang), "students_census_by_unit")
    with tabs[1]:
        g = _grouped(census, "major_name", "major_code")
        v.bar(
            ctx,
            _bars(g, "major_name", "major_code"),
            t("chart_headcount_by", lang, by=t("tab_by_major", lang)),
            axis,
        )
        v.table(ctx, v.frame(g, CENSUS_COLUMNS, lang), "students_census_by_major", height=300)
    for tab, col, key in ((tabs[2], "level", "tab_by_level"), (tabs[3], "study_mode", "tab_by_mode")):
        with tab:
            g = _grouped(census, col)
            v.bar(ctx, _bars(g, col), t("chart_headcount_by", lang, by=t(key, lang)), axis)
            v.table(ctx, v.frame(g, CENSUS_COLUMNS, lang), f"students_census_by_{col}")
    with tabs[4]:
        g = _grouped(census, "cohort").sort_values("cohort", ascending=False)
        g["cohort"] = g["cohort"].astype("string").fillna(t("code_none", lang))
        v.bar(ctx, _bars(g, "cohort"), t("chart_headcount_by", lang, by=t("tab_by_cohort", lang)), axis)
        v.table(ctx, v.frame(g, CENSUS_COLUMNS, lang), "students_census_by_cohort")
    with st.expander(
        t("sec_census", lang) + " — " + t("col_major_name", lang) + " × " + t("col_cohort", lang)
    ):
        v.table(ctx, v.frame(census, CENSUS_COLUMNS, lang), "students_census", height=320)


def _flows(ctx: PageContext, flows: pd.DataFrame) -> None:
    lang, y = ctx.lang, ctx.academic_year
    st.subheader(t("sec_flows", lang))
    st.caption(t("sec_flows_note", lang, census=f"{y}-09-30", census_next=f"{y + 1}-09-30"))
    if not v.need_columns(ctx, flows, FLOWS, ["unit_code", "flow_code", "students"]):
        return
    df = pd.DataFrame(
        {
            "unit_code": flows["unit_code"].astype("string"),
            "unit_name": v.names(flows, "unit_code", "unit_name", lang),
            "flow_code": flows["flow_code"].astype(str),
            "flow": v.names(flows, "flow_code", "flow_name", lang, "flow"),
            "students": v.num(flows["students"]).astype(int),
        }
    )
    if df.empty:
        st.info(t("no_rows", lang))
        return
    g = df.groupby(["flow_code", "flow"], sort=False)["students"].sum().reset_index()
    order = {c: i for i, c in enumerate(["entrant", *[str(n) for n in range(11, 21)], "completion"])}
    g = g.sort_values("flow_code", key=lambda s: s.map(lambda c: order.get(c, 99)))
    bars = pd.DataFrame(
        {"name": g["flow"], "plot": g["students"].astype(float), "label": [f"{x:,}" for x in g["students"]]}
    )
    v.bar(ctx, bars, t("chart_flows", lang), t("axis_headcount", lang))
    pivot = df.pivot_table(
        index=["unit_code", "unit_name"], columns="flow", values="students", aggfunc="sum", fill_value=0
    )
    pivot = pivot[[c for c in g["flow"] if c in pivot.columns]].reset_index()
    pivot = pivot.rename(
        columns={"unit_code": t("col_unit_code", lang), "unit_name": t("col_unit_name", lang)}
    )
    v.table(ctx, pivot, "students_flows_by_unit")


def _pass_rates(ctx: PageContext, rates: pd.DataFrame) -> None:
    lang = ctx.lang
    ay = t("academic_year_fmt", lang, y=ctx.academic_year, y1=ctx.academic_year + 1)
    st.subheader(t("sec_pass", lang))
    st.caption(t("sec_pass_note", lang, ay=ay))
    if not v.need_columns(ctx, rates, PASS, ["unit_code", "attempts", "passes"]):
        return
    df = pd.DataFrame(
        {
            "unit_code": rates["unit_code"].astype("string"),
            "unit_name": v.names(rates, "unit_code", "unit_name", lang),
            "term": rates["term"].astype(str) if "term" in rates else "",
            "course_code": rates["course_code"].astype("string") if "course_code" in rates else "",
            "course_name": v.names(rates, "course_code", "course_name", lang)
            if "course_code" in rates
            else "",
            "attempts": v.num(rates["attempts"]).astype(int),
            "passes": v.num(rates["passes"]).astype(int),
        }
    )
    if df.empty:
        st.info(t("no_rows", lang))
        return
    g = df.groupby(["unit_code", "unit_name"], dropna=False)[["attempts", "passes"]].sum().reset_index()
    g["pass_rate"] = [v.rate(p, a) for p, a in zip(g["passes"], g["attempts"], strict=True)]
    g = g.sort_values("pass_rate", ascending=True, na_position="last")
    bars = pd.DataFrame(
        {
            "code": g["unit_code"].astype(str),
            "name": g["unit_name"].astype(str),
            "plot": g["pass_rate"].fillna(0).astype(float),
            "label": [v.pct(r) for r in g["pass_rate"]],
        }
    )
    picked = v.drill_bar(
        ctx, bars, "pass_unit", t("chart_pass_by_unit", lang), t("col_pass_rate", lang), fmt=".0%", share=True
    )
    columns = {
        "unit_code": "col_unit_code",
        "unit_name": "col_unit_name",
        "term": "col_term",
        "course_code": "col_course_code",
        "course_name": "col_course_name",
        "attempts": "col_attempts",
        "passes": "col_passes",
        "pass_rate": "col_pass_rate",
    }
    if picked is not None:
        courses = df[df["unit_code"] == picked]
        c = (
            courses.groupby(["course_code", "course_name"], dropna=False)[["attempts", "passes"]]
            .sum()
            .reset_index()
        )
        c["pass_rate"] = [v.rate(p, a) for p, a in zip(c["passes"], c["attempts"], strict=True)]
        c = c.sort_values("pass_rate", na_position="last")
        name = courses["unit_name"].iloc[0] if len(courses) else picked
        st.markdown(f"**{t('drill_courses', lang, unit=name)}**")
        v.table(ctx, v.frame(c, columns, lang), "students_pass_drill", height=320)
    v.table(ctx, v.frame(g, columns, lang), "students_pass_by_unit")
    with st.expander(t("col_course_name", lang) + " × " + t("col_term", lang)):
        df["pass_rate"] = [v.rate(p, a) for p, a in zip(df["passes"], df["attempts"], strict=True)]
        v.table(ctx, v.frame(df, columns, lang), "students_pass_by_course", height=320)


def _risk(ctx: PageContext, risk: pd.DataFrame) -> None:
    lang = ctx.lang
    st.subheader(t("sec_risk", lang))
    st.caption(t("sec_risk_note", lang))
    if not v.need_columns(ctx, risk, RISK, ["unit_code", "students_assessed", "students_at_risk"]):
        return
    df = pd.DataFrame(
        {
            "unit_code": risk["unit_code"].astype("string"),
            "unit_name": v.names(risk, "unit_code", "unit_name", lang),
            "term": risk["term"].astype(str) if "term" in risk else "",
            "assessed": v.num(risk["students_assessed"]).astype(int),
            "at_risk": v.num(risk["students_at_risk"]).astype(int),
        }
    )
    if df.empty:
        st.info(t("no_rows", lang))
        return
    g = df.groupby(["unit_code", "unit_name"], dropna=False)[["assessed", "at_risk"]].sum().reset_index()
    g["share"] = [v.rate(r, a) for r, a in zip(g["at_risk"], g["assessed"], strict=True)]
    g = g.sort_values("at_risk", ascending=False)
    bars = pd.DataFrame(
        {
            "name": g["unit_name"].astype(str),
            "plot": g["at_risk"].astype(float),
            "label": [
                f"{r:,}（{v.pct(s, 1)}）" if lang == "zh" else f"{r:,} ({v.pct(s, 1)})"
                for r, s in zip(g["at_risk"], g["share"], strict=True)
            ],
        }
    )
    v.bar(ctx, bars, t("chart_risk", lang), t("axis_headcount", lang))
    df["share"] = [v.rate(r, a) for r, a in zip(df["at_risk"], df["assessed"], strict=True)]
    columns = {
        "unit_code": "col_unit_code",
        "unit_name": "col_unit_name",
        "term": "col_term",
        "assessed": "col_assessed",
        "at_risk": "col_at_risk",
        "share": "col_risk_share",
    }
    v.table(ctx, v.frame(df.sort_values(["term", "unit_code"]), columns, lang), "students_academic_risk")


GRAD_COLUMNS = {
    "unit_code": "col_unit_code",
    "unit_name": "col_unit_name",
    "level": "col_level",
    "graduates": "col_graduates",
    "degree_eligible": "col_degree_eligible",
    "degrees_awarded": "col_degrees",
    "degree_rate": "col_degree_rate",
    "placed": "col_placed",
    "placed_rate": "col_placed_rate",
}


def _graduates(ctx: PageContext, grads: pd.DataFrame) -> None:
    lang = ctx.lang
    ay = t("academic_year_fmt", lang, y=ctx.academic_year, y1=ctx.academic_year + 1)
    st.subheader(t("sec_grad", lang))
    st.caption(t("sec_grad_note", lang, ay=ay))
    measures = ["graduates", "degree_eligible", "degrees_awarded", "placed"]
    if not v.need_columns(ctx, grads, GRAD, ["unit_code", *measures]):
        return
    df = pd.DataFrame(
        {
            "unit_code": grads["unit_code"].astype("string"),
            "unit_name": v.names(grads, "unit_code", "unit_name", lang),
            "level": v.names(grads, "level_code", "level_name", lang, "level")
            if "level_code" in grads
            else "",
            **{m: v.num(grads[m]).astype(int) for m in measures},
        }
    )
    if df.empty:
        st.info(t("no_rows", lang))
        return
    g = df.groupby(["unit_code", "unit_name"], dropna=False)[measures].sum().reset_index()
    for frame_ in (df, g):
        frame_["degree_rate"] = [
            v.rate(a, e) for a, e in zip(frame_["degrees_awarded"], frame_["degree_eligible"], strict=True)
        ]
        frame_["placed_rate"] = [
            v.rate(p, n) for p, n in zip(frame_["placed"], frame_["graduates"], strict=True)
        ]
    g = g.sort_values("placed_rate", na_position="last")
    bars = pd.DataFrame(
        {
            "name": g["unit_name"].astype(str),
            "plot": g["placed_rate"].fillna(0).astype(float),
            "label": [v.pct(r) for r in g["placed_rate"]],
        }
    )
    v.bar(ctx, bars, t("chart_placed_by_unit", lang), t("col_placed_rate", lang), fmt=".0%", share=True)
    v.table(ctx, v.frame(df.sort_values(["unit_code", "level"]), GRAD_COLUMNS, lang), "students_graduates")


def _cards(ctx: PageContext, census, rates, risk, grads) -> None:
    items = []
    if census is not None and "headcount" in census:
        head = int(v.num(census["headcount"]).sum())
        full = (
            int(v.num(census.loc[census["study_mode_code"].astype(str) == "1", "headcount"]).sum())
            if "study_mode_code" in census
            else None
        )
        fte = v.exact_sum(census["fte"]) if "fte" in census else None
        items.append(lambda: v.kpi_metric(ctx, "registered_students", "registered_students", Decimal(head)))
        if full is not None:
            items.append(lambda: v.kpi_metric(ctx, "fulltime_students", "fulltime_students", Decimal(full)))
        if fte is not None:
            items.append(lambda: v.kpi_metric(ctx, "fte_students", "fte_students", fte))
    if rates is not None and {"attempts", "passes"}.issubset(rates.columns):
        a, p = v.num(rates["attempts"]).sum(), v.num(rates["passes"]).sum()
        value = None if not a else (Decimal(int(p)) / Decimal(int(a)))
        parts = [t("help_parts", ctx.lang, num=f"{int(p):,}", den=f"{int(a):,}")]
        items.append(
            lambda: v.kpi_metric(ctx, "first_attempt_pass_rate", "first_attempt_pass_rate", value, parts)
        )
    if risk is not None and {"students_at_risk", "students_assessed"}.issubset(risk.columns):
        at_risk = int(v.num(risk["students_at_risk"]).sum())
        assessed = int(v.num(risk["students_assessed"]).sum())
        items.append(
            lambda: v.metric(
                ctx,
                "students_at_risk",
                t("card_at_risk", ctx.lang),
                f"{at_risk:,}",
                [t("card_at_risk_help", ctx.lang, assessed=f"{assessed:,}")],
            )
        )
    if grads is not None and {"graduates", "degree_eligible", "degrees_awarded", "placed"}.issubset(
        grads.columns
    ):
        n = int(v.num(grads["graduates"]).sum())
        e, d = int(v.num(grads["degree_eligible"]).sum()), int(v.num(grads["degrees_awarded"]).sum())
        placed = int(v.num(grads["placed"]).sum())
        items.append(lambda: v.kpi_metric(ctx, "graduates", "graduates", Decimal(n)))
        items.append(
            lambda: v.kpi_metric(
                ctx,
                "degree_award_rate",
                "degree_award_rate",
                Decimal(d) / Decimal(e) if e else None,
                [t("help_parts", ctx.lang, num=f"{d:,}", den=f"{e:,}")],
            )
        )
        items.append(
            lambda: v.kpi_metric(
                ctx,
                "employment_rate",
                "employment_rate",
                Decimal(placed) / Decimal(n) if n else None,
                [t("help_parts", ctx.lang, num=f"{placed:,}", den=f"{n:,}")],
            )
        )
    if items:
        v.metric_row(items)


def render() -> None:
    ctx = get_context()
    lang, y = ctx.lang, ctx.academic_year
    v.page_header(ctx, "students")
    census = v.load(ctx, CENSUS, y)
    flows = v.load(ctx, FLOWS, y)
    rates = v.load(ctx, PASS, y)
    risk = v.load(ctx, RISK, y)
    grads = v.load(ctx, GRAD, y)
    _cards(ctx, census, rates, risk, grads)
    sections = (
        (
            "sec_census",
            CENSUS,
            census,
            lambda df: (
                v.need_columns(ctx, df, CENSUS, ["unit_code", "headcount"])
                and _census(ctx, _census_frame(ctx, df))
            ),
        ),
        ("sec_flows", FLOWS, flows, lambda df: _flows(ctx, df)),
        ("sec_pass", PASS, rates, lambda df: _pass_rates(ctx, df)),
        ("sec_risk", RISK, risk, lambda df: _risk(ctx, df)),
        ("sec_grad", GRAD, grads, lambda df: _graduates(ctx, df)),
    )
    for key, table, df, draw in sections:
        st.divider()
        with st.container(key=key):
            if df is None:
                st.subheader(t(key, lang))
                v.missing_note(ctx, [table])
                continue
            draw(df)


if has_context():
    render()
else:
    # Run directly rather than by the shell (Streamlit's legacy `pages/` mode, AppTest): go through
    # the shell, which sets the context and runs this page again.
    from dashboards.app import main

    main()
