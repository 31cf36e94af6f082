"""财务 / Finance: budget execution by unit and month against the year's line; expenditure by
economic class and the personnel ratio; tuition collection and arrears by unit and cohort;
expenditure per student.  Published aggregates only (docs/marts-for-dashboards.md).

Element keys: ``m_<card>``, ``sec_budget|econ|tuition|per_student``, ``chart_budget_unit`` /
``drill_budget_unit``, ``tbl_<stem>``, downloads ``dl_csv_<stem>_<Y>_<F>[_<unit>]``.
"""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
import streamlit as st

from dashboards import charts
from dashboards import views as v
from dashboards.context import PageContext, get_context, has_context
from dashboards.formatting import format_money
from dashboards.i18n import t

BUDGET = "agg_budget_execution"
TUITION = "agg_tuition"
CENSUS = "agg_student_census"
PERSONNEL = ("301", "303")

COLUMNS = {
    "unit_code": "col_unit_code",
    "unit_name": "col_unit_name",
    "month": "col_month",
    "econ_code": "col_econ_code",
    "econ_class": "col_econ_class",
    "cohort": "col_cohort",
    "budget": "col_budget",
    "expenditure": "col_expenditure",
    "cumulative": "col_cumulative",
    "exec_rate": "col_exec_rate",
    "share": "col_share",
    "bills": "col_bills",
    "due": "col_due",
    "waived": "col_waived",
    "paid": "col_paid",
    "arrears": "col_arrears",
    "collection_rate": "col_collection_rate",
    "students": "col_fulltime_students",
    "per_student": "col_per_student",
}


def _money_plot(value: Decimal | float, lang: str) -> float:
    return float(Decimal(str(value)) / charts.money_scale(lang))


def _budget_frame(ctx: PageContext, df: pd.DataFrame) -> pd.DataFrame:
    lang = ctx.lang
    econ = (
        df["econ_class_code"].astype("string").fillna("")
        if "econ_class_code" in df
        else pd.Series("", index=df.index)
    )
    return pd.DataFrame(
        {
            "unit_code": df["unit_code"].astype("string"),
            "unit_name": v.names(df, "unit_code", "unit_name", lang),
            "month": v.num(df["month"]).astype(int),
            "econ_code": econ,
            "econ_class": v.names(df, "econ_class_code", "econ_class_name", lang, "econ_class")
            if "econ_class_code" in df
            else "",
            "budget": df["budget"].map(lambda x: Decimal(0) if x is None or pd.isna(x) else Decimal(str(x))),
            "has_file": df["month_has_ledger_file"].fillna(True).astype(bool)
            if "month_has_ledger_file" in df
            else True,
            "expenditure": df["expenditure"].map(
                lambda x: Decimal(0) if x is None or pd.isna(x) else Decimal(str(x))
            ),
        }
    )


def _annual_budget(b: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """The annual budget (repeated on each month's row) once per (unit, class), summed by ``keys``."""
    per_line = (
        b.groupby(["unit_code", "unit_name", "econ_code", "econ_class"], dropna=False)["budget"]
        .max()
        .reset_index()
    )
    return per_line.groupby(keys, dropna=False)["budget"].apply(v.exact_sum).reset_index()


def _spent(b: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    return b.groupby(keys, dropna=False)["expenditure"].apply(v.exact_sum).reset_index()


def _rate(num: Decimal, den: Decimal) -> Decimal | None:
    return None if not den else (num / den).quantize(Decimal("0.0001"))


def _by_unit(b: pd.DataFrame) -> pd.DataFrame:
    keys = ["unit_code", "unit_name"]
    g = _annual_budget(b, keys).merge(_spent(b, keys), on=keys, how="outer")
    g["budget"] = g["budget"].map(lambda x: x if isinstance(x, Decimal) else Decimal(0))
    g["expenditure"] = g["expenditure"].map(lambda x: x if isinstance(x, Decimal) else Decimal(0))
    g["exec_rate"] = [_rate(e, bu) for e, bu in zip(g["expenditure"], g["budget"], strict=True)]
    return g


def _budget(ctx: PageContext, b: pd.DataFrame) -> None:
    lang, f = ctx.lang, ctx.fiscal_year
    st.subheader(t("sec_budget", lang))
    st.caption(t("sec_budget_note", lang))
    if b.empty:
        st.info(t("no_rows", lang))
        return
    budget = v.exact_sum(_annual_budget(b, ["unit_code"])["budget"])
    monthly = _spent(b, ["month"]).sort_values("month")
    months = pd.DataFrame({"month": range(1, 13)}).merge(monthly, on="month", how="left")
    months["expenditure"] = months["expenditure"].map(lambda x: x if isinstance(x, Decimal) else Decimal(0))
    # The year so far: up to the last month whose ledger export has arrived (all months if unknown).
    known = b.loc[b["has_file"], "month"]
    last = int(known.max()) if len(known) else (int(monthly["month"].max()) if len(monthly) else 12)
    months = months[months["month"] <= last]
    cum, running = [], Decimal(0)
    for e in months["expenditure"]:
        running += e
        cum.append(running)
    months["cumulative"] = cum
    months["budget"] = budget
    months["time_line"] = [budget * m / 12 for m in months["month"]]
    series = []
    for col, key in (
        ("cumulative", "series_cumulative"),
        ("budget", "series_budget"),
        ("time_line", "series_time_line"),
    ):
        series.append(
            pd.DataFrame(
                {
                    "x": months["month"].astype(int),
                    "plot": [_money_plot(x, lang) for x in months[col]],
                    "label": [format_money(Decimal(x), lang) for x in months[col]],
                    "series": t(key, lang),
                }
            )
        )
    title = t("chart_budget_month", lang, fy=t("fiscal_year_fmt", lang, y=f))
    spec = charts.series_lines_spec(
        pd.concat(series).reset_index(drop=True),
        title,
        t("axis_month", lang),
        t("axis_wan_yuan", lang),
        ",.0f",
    )
    charts.show(spec, title)
    months["exec_rate"] = [_rate(c, budget) for c in months["cumulative"]]
    v.table(ctx, v.frame(months, COLUMNS, lang), "finance_budget_by_month")

    g = _by_unit(b).sort_values("exec_rate", ascending=False, na_position="last")
    bars = pd.DataFrame(
        {
            "code": g["unit_code"].astype(str),
            "name": g["unit_name"].astype(str),
            "plot": [0.0 if r is None else float(r) for r in g["exec_rate"]],
            "label": [v.pct(None if r is None else float(r)) for r in g["exec_rate"]],
        }
    )
    time_share = last / 12
    rules = ((t("series_time_line", lang), time_share, charts.PASS_COLOUR),)
    picked = v.drill_bar(
        ctx,
        bars,
        "budget_unit",
        t("chart_exec_by_unit", lang),
        t("col_exec_rate", lang),
        fmt=".0%",
        share=True,
        rules=rules,
    )
    if picked is not None:
        rows = b[b["unit_code"] == picked]
        keys = ["econ_code", "econ_class"]
        d = _annual_budget(rows, keys).merge(_spent(rows, keys), on=keys, how="outer")
        d["exec_rate"] = [_rate(e, bu) for e, bu in zip(d["expenditure"], d["budget"], strict=True)]
        name = rows["unit_name"].iloc[0] if len(rows) else picked
        st.markdown(f"**{t('drill_caption', lang, unit=name)}**")
        v.table(ctx, v.frame(d.sort_values("econ_code"), COLUMNS, lang), "finance_budget_drill")
    v.table(ctx, v.frame(g, COLUMNS, lang), "finance_budget_by_unit")


def _econ(ctx: PageContext, b: pd.DataFrame) -> None:
    lang, f = ctx.lang, ctx.fiscal_year
    st.subheader(t("sec_econ", lang))
    st.caption(t("sec_econ_note", lang))
    if b.empty:
        st.info(t("no_rows", lang))
        return
    keys = ["econ_code", "econ_class"]
    g = _spent(b, keys).merge(_annual_budget(b, keys), on=keys, how="outer").sort_values("econ_code")
    g["expenditure"] = g["expenditure"].map(lambda x: x if isinstance(x, Decimal) else Decimal(0))
    total = v.exact_sum(g["expenditure"])
    g["share"] = [_rate(e, total) for e in g["expenditure"]]
    bars = pd.DataFrame(
        {
            "name": [f"{c} {n}" for c, n in zip(g["econ_code"], g["econ_class"], strict=True)],
            "plot": [_money_plot(e, lang) for e in g["expenditure"]],
            "label": [
                f"{format_money(e, lang)} ({v.pct(None if s is None else float(s), 1)})"
                for e, s in zip(g["expenditure"], g["share"], strict=True)
            ],
        }
    )
    title = t("chart_econ", lang, fy=t("fiscal_year_fmt", lang, y=f))
    v.bar(ctx, bars, title, t("axis_wan_yuan", lang), fmt=",.0f")
    v.table(ctx, v.frame(g, COLUMNS, lang), "finance_by_econ_class")


def _tuition_frame(ctx: PageContext, df: pd.DataFrame) -> pd.DataFrame:
    lang = ctx.lang

    def dec(col: str) -> pd.Series:
        return df[col].map(lambda x: Decimal(0) if x is None or pd.isna(x) else Decimal(str(x)))

    return pd.DataFrame(
        {
            "unit_code": df["unit_code"].astype("string"),
            "unit_name": v.names(df, "unit_code", "unit_name", lang),
            "cohort": df["cohort_year"].astype("Int64") if "cohort_year" in df else None,
            "bills": v.num(df["bills"]).astype(int) if "bills" in df else 0,
            "due": dec("amount_due"),
            "waived": dec("amount_waived"),
            "paid": dec("amount_paid"),
            "arrears": dec("arrears")
            if "arrears" in df
            else dec("amount_due") - dec("amount_waived") - dec("amount_paid"),
        }
    )


def _sum_tuition(df: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    g = (
        df.groupby(keys, dropna=False)
        .agg(
            bills=("bills", "sum"),
            due=("due", v.exact_sum),
            waived=("waived", v.exact_sum),
            paid=("paid", v.exact_sum),
            arrears=("arrears", v.exact_sum),
        )
        .reset_index()
    )
    g["collection_rate"] = [_rate(p, d - w) for p, d, w in zip(g["paid"], g["due"], g["waived"], strict=True)]
    return g


def _tuition(ctx: PageContext, tu: pd.DataFrame) -> None:
    lang = ctx.lang
    ay = t("academic_year_fmt", lang, y=ctx.academic_year, y1=ctx.academic_year + 1)
    st.subheader(t("sec_tuition", lang))
    st.caption(t("sec_tuition_note", lang, ay=ay))
    if tu.empty:
        st.info(t("no_rows", lang))
        return
    g = _sum_tuition(tu, ["unit_code", "unit_name"]).sort_values("collection_rate", na_position="last")
    left, right = st.columns(2)
    with left:
        bars = pd.DataFrame(
            {
                "name": g["unit_name"].astype(str),
                "plot": [0.0 if r is None else float(r) for r in g["collection_rate"]],
                "label": [v.pct(None if r is None else float(r)) for r in g["collection_rate"]],
            }
        )
        v.bar(ctx, bars, t("chart_collection", lang), t("col_collection_rate", lang), fmt=".0%", share=True)
    with right:
        c = _sum_tuition(tu, ["cohort"]).sort_values("cohort", ascending=False)
        bars = pd.DataFrame(
            {
                "name": c["cohort"].astype("string").fillna(t("code_none", lang)),
                "plot": [_money_plot(a, lang) for a in c["arrears"]],
                "label": [format_money(a, lang) for a in c["arrears"]],
            }
        )
        v.bar(ctx, bars, t("chart_arrears_cohort", lang), t("axis_wan_yuan", lang), fmt=",.1f")
    v.table(ctx, v.frame(g, COLUMNS, lang), "finance_tuition_by_unit")
    detail = _sum_tuition(tu, ["unit_code", "unit_name", "cohort"]).sort_values(["unit_code", "cohort"])
    with st.expander(t("col_unit_name", lang) + " × " + t("col_cohort", lang)):
        v.table(ctx, v.frame(detail, COLUMNS, lang), "finance_tuition_by_unit_cohort")


def _fulltime_by_unit(census: pd.DataFrame | None) -> pd.DataFrame | None:
    if census is None or not {"unit_code", "study_mode_code", "headcount"}.issubset(census.columns):
        return None
    ft = census[census["study_mode_code"].astype(str) == "1"]
    return (
        ft.assign(unit_code=ft["unit_code"].astype("string"), students=v.num(ft["headcount"]).astype(int))
        .groupby("unit_code", dropna=False)["students"]
        .sum()
        .reset_index()
    )


def _per_student(ctx: PageContext, b: pd.DataFrame, census: pd.DataFrame | None) -> None:
    lang = ctx.lang
    st.subheader(t("sec_per_student", lang))
    st.caption(
        t(
            "sec_per_student_note",
            lang,
            fy=t("fiscal_year_fmt", lang, y=ctx.fiscal_year),
            ay=t("academic_year_fmt", lang, y=ctx.academic_year, y1=ctx.academic_year + 1),
        )
    )
    students = _fulltime_by_unit(census)
    if students is None:
        v.missing_note(ctx, [CENSUS])
        return
    g = _spent(b, ["unit_code", "unit_name"]).merge(students, on="unit_code", how="inner")
    g = g[g["students"] > 0]
    if g.empty:
        st.info(t("no_rows", lang))
        return
    g["per_student"] = [
        (e / s).quantize(Decimal("0.01")) for e, s in zip(g["expenditure"], g["students"], strict=True)
    ]
    g = g.sort_values("per_student", ascending=False)
    bars = pd.DataFrame(
        {
            "name": g["unit_name"].astype(str),
            "plot": [_money_plot(x, lang) for x in g["per_student"]],
            "label": [format_money(x, lang) for x in g["per_student"]],
        }
    )
    v.bar(ctx, bars, t("chart_per_student", lang), t("axis_wan_yuan", lang), fmt=",.2f")
    v.table(ctx, v.frame(g, COLUMNS, lang), "finance_per_student_by_unit")


def _cards(
    ctx: PageContext, b: pd.DataFrame | None, tu: pd.DataFrame | None, census: pd.DataFrame | None
) -> None:
    lang = ctx.lang
    items = []
    if b is not None and not b.empty:
        budget = v.exact_sum(_annual_budget(b, ["unit_code"])["budget"])
        spent = v.exact_sum(b["expenditure"])
        personnel = v.exact_sum(b.loc[b["econ_code"].isin(PERSONNEL), "expenditure"])
        items.append(lambda: v.kpi_metric(ctx, "budget_total", "budget_total", budget))
        items.append(lambda: v.kpi_metric(ctx, "expenditure_total", "expenditure_total", spent))
        items.append(
            lambda: v.kpi_metric(
                ctx,
                "budget_execution_rate",
                "budget_execution_rate",
                _rate(spent, budget),
                [t("help_parts", lang, num=f"{spent:,.2f}", den=f"{budget:,.2f}")],
            )
        )
        items.append(
            lambda: v.kpi_metric(
                ctx,
                "personnel_expenditure_ratio",
                "personnel_expenditure_ratio",
                _rate(personnel, spent),
                [t("help_parts", lang, num=f"{personnel:,.2f}", den=f"{spent:,.2f}")],
            )
        )
        students = _fulltime_by_unit(census)
        if students is not None:
            n = int(students["students"].sum())
            per = None if not n else (spent / n).quantize(Decimal("0.01"))
            items.append(
                lambda: v.kpi_metric(
                    ctx,
                    "expenditure_per_student",
                    "expenditure_per_student",
                    per,
                    [t("help_parts", lang, num=f"{spent:,.2f}", den=f"{n:,}")],
                )
            )
    if tu is not None and not tu.empty:
        paid, due, waived = v.exact_sum(tu["paid"]), v.exact_sum(tu["due"]), v.exact_sum(tu["waived"])
        items.append(
            lambda: v.kpi_metric(
                ctx,
                "tuition_collection_rate",
                "tuition_collection_rate",
                _rate(paid, due - waived),
                [t("help_parts", lang, num=f"{paid:,.2f}", den=f"{due - waived:,.2f}")],
            )
        )
    if items:
        v.metric_row(items, per_row=3)


def render() -> None:
    ctx = get_context()
    lang, y, f = ctx.lang, ctx.academic_year, ctx.fiscal_year
    scope = t("scope_unit", lang, unit=ctx.unit_name) if ctx.unit_code else t("scope_college", lang)
    st.title(t("finance_title", lang))
    st.caption(
        t(
            "finance_caption",
            lang,
            fy=t("fiscal_year_fmt", lang, y=f),
            ay=t("academic_year_fmt", lang, y=y, y1=y + 1),
            scope=scope,
        )
        + " · "
        + t("aggregates_note", lang)
    )
    raw_b = v.load(ctx, BUDGET, f)
    b = None
    needed = ["unit_code", "month", "budget", "expenditure"]
    if raw_b is not None and set(needed).issubset(raw_b.columns):
        b = _budget_frame(ctx, raw_b)
    raw_tu = v.load(ctx, TUITION, y)
    tu = None
    if raw_tu is not None and {"unit_code", "amount_due", "amount_waived", "amount_paid"}.issubset(
        raw_tu.columns
    ):
        tu = _tuition_frame(ctx, raw_tu)
    census = v.load(ctx, CENSUS, y)
    _cards(ctx, b, tu, census)
    sections = (
        ("sec_budget", BUDGET, raw_b, b, lambda: _budget(ctx, b), needed),
        ("sec_econ", BUDGET, raw_b, b, lambda: _econ(ctx, b), needed),
        (
            "sec_tuition",
            TUITION,
            raw_tu,
            tu,
            lambda: _tuition(ctx, tu),
            ["unit_code", "amount_due", "amount_waived", "amount_paid"],
        ),
        ("sec_per_student", BUDGET, raw_b, b, lambda: _per_student(ctx, b, census), needed),
    )
    for key, table, raw, df, draw, cols in sections:
        st.divider()
        with st.container(key=key):
            if raw is None:
                st.subheader(t(key, lang))
                v.missing_note(ctx, [table])
            elif df is None:
                st.subheader(t(key, lang))
                v.need_columns(ctx, raw, table, cols)
            else:
                draw()


if has_context():
    render()
else:
    # Run directly rather than by the shell (Streamlit's legacy `pages/` mode, AppTest): go through
    # the shell, which sets the context and runs this page again.
    from dashboards.app import main

    main()
