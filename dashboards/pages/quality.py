"""数据质量 / Data quality: for data stewards, from the restricted QUALITY snapshot only.

Scorecards per system, table and steward for the latest run; failure rates over runs; drill-down
from a failing rule to its failing rows with the contract's fix guidance; the quarantine; one xlsx
workbook of open problems per steward.  Personal fields are masked for everyone but the owning
steward (``data_contracts.masking``); the viewer's role comes from :mod:`dashboards.auth`, and a
viewer with a steward role sees that steward's own systems only.

Element keys: ``m_q_<card>``, ``sec_q_scorecard|trends|rules|drill|quarantine|export``,
``tbl_q_score_<by>``, ``tbl_q_rules``, ``tbl_q_rows``, ``tbl_q_quarantine``, ``q_drill_rule``,
``q_guidance``, ``q_trend_rules``, ``dl_q_xlsx_<owner>`` (the stewards' workbooks).
"""

from __future__ import annotations

import contextlib
import functools
from pathlib import Path

import pandas as pd
import streamlit as st

from dashboards import charts
from dashboards import quality_data as qd
from dashboards import quality_report as qr
from dashboards import quality_shell as qs
from dashboards.components import download_buttons
from dashboards.quality_i18n import qt, severity_name, system_name
from orchestration.settings import PROJECT_ROOT

ROWS_SHOWN = 1000
TREND_RULES = 5


def _pct(v: object) -> str:
    """A failure rate for people: two decimals, more for the tiny rates of large tables."""
    if v is None or pd.isna(v):
        return "—"
    p = float(v) * 100
    places = 2 if p == 0 or p >= 1 else 4 if p >= 0.001 else 6
    return f"{p:,.{places}f}%"


_key_text = qr.key_text


def _table(df: pd.DataFrame, key: str, lang: str, *, rate_cols: tuple[str, ...] = ()) -> None:
    """A table and its downloads; failure rates are shown as percentages with enough decimals for
    large tables (the downloads keep the fractions)."""
    shown = df.copy()
    config = {}
    for c in rate_cols:
        if c in shown.columns:
            shown[c] = pd.to_numeric(shown[c], errors="coerce") * 100
            config[c] = st.column_config.NumberColumn(format="%.4f%%")
    with st.container(key=f"tbl_{key}"):
        st.dataframe(shown, hide_index=True, width="stretch", column_config=config)
        download_buttons(df, key, lang)


def _header(ctx: qs.QualityContext, run_id: str, res: pd.DataFrame) -> None:
    lang = ctx.lang
    st.title(qt("quality_title", lang))
    checked = res["checked_at"].max() if not res.empty else None
    ts = checked.strftime("%Y-%m-%d %H:%M") if isinstance(checked, pd.Timestamp) else "—"
    st.caption(qt("quality_caption", lang, run=run_id, ts=ts, rules=len(res)))
    with st.container(key="q_viewer"):
        if ctx.viewer is None:
            st.info(qt("viewer_all", lang), icon=":material/visibility_off:")
        else:
            st.info(
                qt("viewer_owner", lang, office=qd.owner_label(ctx.viewer, lang)),
                icon=":material/badge:",
            )
        st.caption(qt("viewer_help", lang))
    docs = _data_docs(ctx, run_id)
    if docs is not None:
        st.caption(qt("data_docs", lang, path=docs))


def _data_docs(ctx: qs.QualityContext, run_id: str) -> str | None:
    """The run's GX Data Docs (``index.html`` next to the quality snapshot), if they were built."""
    try:
        from data_contracts.data_docs import docs_index
    except ImportError:
        return None
    try:
        index = docs_index(ctx.settings.quality_dir, run_id)
    except (OSError, ValueError):
        return None
    return None if index is None else str(index)


def _cards(ctx: qs.QualityContext, res: pd.DataFrame, open_quarantine: int) -> None:
    lang = ctx.lang
    live = res[res["status"] != "skipped"]
    failing = live[live["status"].isin(qd.NOT_PASSING)]
    checked = int(live["checked_rows"].sum())
    failed = int(live["failed_rows"].sum())
    by_sev = {s: int((failing["severity"] == s).sum()) for s in qd.SEVERITY_ORDER}
    cards = [
        ("rules_checked", f"{len(live):,}", None),
        ("rules_failed", f"{len(failing):,}", qt("m_rules_failed_help", lang, **by_sev)),
        ("failed_rows", f"{failed:,}", qt("m_failed_rows_help", lang)),
        ("failure_rate", _pct(failed / checked if checked else None), qt("m_failure_rate_help", lang)),
        ("quarantined", f"{open_quarantine:,}", None),
    ]
    cols = st.columns(len(cards))
    for col, (name, value, help_text) in zip(cols, cards, strict=True):
        with col, st.container(border=True, key=f"m_q_{name}"):
            st.metric(qt(f"m_{name}", lang), value, help=help_text)


def _scorecard(ctx: qs.QualityContext, res: pd.DataFrame) -> None:
    lang = ctx.lang
    st.subheader(qt("sec_scorecard", lang))
    tabs = st.tabs([qt("tab_system", lang), qt("tab_table", lang), qt("tab_owner", lang)])
    for tab, (name, by) in zip(
        tabs,
        (("system", ["system"]), ("table", ["system", "table_name"]), ("owner", ["owner"])),
        strict=True,
    ):
        with tab:
            frame = qr.score_frame(qd.scorecard(res, by), by, lang)
            _table(frame, f"q_score_{name}", lang, rate_cols=(qt("col_failure_rate", lang),))


def _run_labels(df: pd.DataFrame) -> dict[str, str]:
    """run_id -> the x label of a trend chart: its check time (sorts in time order), with the
    start of the run id when two runs share a minute."""
    first = df.groupby("run_id", sort=False)["checked_at"].max()
    labels = {
        str(r): (c.strftime("%y-%m-%d %H:%M") if isinstance(c, pd.Timestamp) else str(r)[:8])
        for r, c in first.items()
    }
    counts = pd.Series(list(labels.values())).value_counts()
    return {r: (f"{lab} · {r[:6]}" if counts[lab] > 1 else lab) for r, lab in labels.items()}


def _trends(ctx: qs.QualityContext, res: pd.DataFrame) -> None:
    lang = ctx.lang
    st.subheader(qt("sec_trends", lang))
    by_system = qs.trend_by_system(ctx.snapshot.key, ctx.reader)
    if ctx.viewer is not None:
        from data_contracts.loader import SYSTEM_OWNER

        mine = {s for s, o in SYSTEM_OWNER.items() if o == ctx.viewer}
        by_system = by_system[by_system["system"].isin(mine)]
    if by_system["run_id"].nunique() < 2:
        st.caption(qt("trend_one_run", lang))
    run_label = _run_labels(by_system)
    plot = pd.DataFrame(
        {
            "x": by_system["run_id"].map(run_label),
            "plot": by_system["failure_rate"].astype("float64").fillna(0.0),
            "label": by_system["failure_rate"].map(_pct),
            "series": by_system["system"].map(lambda s: system_name(s, lang)),
        }
    )
    title = qt("trend_system_caption", lang)
    if not plot.empty:
        with st.container(key="chart_q_trend_system"):
            charts.show(
                charts.series_lines_spec(
                    plot, title, qt("col_checked_at", lang), qt("col_failure_rate", lang), fmt=".2~p"
                ),
                title,
            )
    failing = res[res["status"].isin(qd.NOT_PASSING)].sort_values("failure_rate", ascending=False)
    options = res["rule_id"].tolist()
    kept = [r for r in st.session_state.get("q_trend_rules") or [] if r in options]
    if "q_trend_rules" not in st.session_state:
        kept = failing["rule_id"].head(TREND_RULES).tolist()
    st.session_state["q_trend_rules"] = kept[:TREND_RULES]  # rules of an older snapshot drop out
    picked = st.multiselect(
        qt("trend_rules_label", lang), options, key="q_trend_rules", max_selections=TREND_RULES
    )
    if picked:
        by_rule = qs.trend_by_rule(ctx.snapshot.key, ctx.reader, tuple(picked))
        labels = _run_labels(by_rule)
        rplot = pd.DataFrame(
            {
                "x": by_rule["run_id"].map(labels),
                "plot": by_rule["failure_rate"].astype("float64").fillna(0.0),
                "label": by_rule["failure_rate"].map(_pct),
                "series": by_rule["rule_id"],
            }
        )
        rtitle = qt("trend_rules_label", lang)
        with st.container(key="chart_q_trend_rules"):
            charts.show(
                charts.series_lines_spec(
                    rplot, rtitle, qt("col_checked_at", lang), qt("col_failure_rate", lang), fmt=".2~p"
                ),
                rtitle,
            )


def _rules(ctx: qs.QualityContext, res: pd.DataFrame, run_id: str) -> None:
    lang = ctx.lang
    st.subheader(qt("sec_rules", lang))
    only = st.toggle(qt("only_failing", lang), value=True, key="q_only_failing")
    shown = res[res["status"].isin(qd.NOT_PASSING)] if only else res
    shown = qd.mask_samples(shown.reset_index(drop=True), ctx.viewer)
    shown = shown.assign(sample_keys=shown["sample_keys"].map(_key_text))
    _table(qr.rules_frame(shown, lang), "q_rules", lang, rate_cols=(qt("col_failure_rate", lang),))


def _guidance(ctx: qs.QualityContext, rule_id: str) -> None:
    lang = ctx.lang
    g = qd.guidance(rule_id, lang)
    with st.container(border=True, key="q_guidance"):
        if g is None:
            st.info(qt("no_guidance", lang))
            return
        st.markdown(f"**{rule_id}** · {g.description}")
        for part, text in (("what", g.what), ("why", g.why), ("how", g.how)):
            if text:
                st.markdown(
                    f"**{qt(part, lang)}**：{text}" if lang == "zh" else f"**{qt(part, lang)}**: {text}"
                )
        if g.natural_quirk:
            st.caption(qt("quirk", lang, text=g.natural_quirk))
        origin = Path(g.origin)
        with contextlib.suppress(ValueError):
            origin = origin.resolve().relative_to(PROJECT_ROOT)
        st.caption(qt("contract_file", lang, path=origin))


def _drill(ctx: qs.QualityContext, res: pd.DataFrame, run_id: str) -> None:
    lang = ctx.lang
    st.subheader(qt("sec_drill", lang))
    failing = res[res["status"].isin(qd.NOT_PASSING)]
    if failing.empty:
        st.success(qt("drill_none", lang))
        return
    labels = {
        r: f"{r} · {severity_name(s, lang)} · {int(n):,}"
        for r, s, n in zip(failing["rule_id"], failing["severity"], failing["failed_rows"], strict=True)
    }
    options = list(labels)
    if st.session_state.get("q_drill_rule") not in options:
        st.session_state["q_drill_rule"] = options[0]
    rule_id = st.selectbox(qt("drill_label", lang), options, key="q_drill_rule", format_func=labels.get)
    _guidance(ctx, rule_id)
    rows = qs.failing_rows(ctx.snapshot.key, ctx.reader, run_id, rule_id, ROWS_SHOWN)
    total = qs.failing_count(ctx.snapshot.key, ctx.reader, run_id, rule_id)
    rows = qd.mask_failing(rows, ctx.viewer)
    st.caption(qt("rows_shown", lang, shown=f"{len(rows):,}", total=f"{total:,}"))
    if ctx.viewer is None or ctx.viewer != failing.loc[failing["rule_id"] == rule_id, "owner"].iloc[0]:
        st.caption(qt("masked_note", lang))
    safe = "".join(ch if ch.isalnum() else "_" for ch in rule_id)[:60]
    with st.container(key="tbl_q_rows"):
        frame = qr.rows_frame(rows, lang)
        st.dataframe(frame, hide_index=True, width="stretch")
        download_buttons(frame, f"q_rows_{safe}", lang)


def _quarantine(ctx: qs.QualityContext, q: pd.DataFrame) -> None:
    lang = ctx.lang
    st.subheader(qt("sec_quarantine", lang))
    if q.empty:
        st.success(qt("quarantine_none", lang))
        return
    st.caption(qt("quarantine_caption", lang))
    if ctx.viewer is None:
        st.caption(qt("masked_note", lang))
    _table(qr.quarantine_frame(qd.mask_quarantine(q, ctx.viewer), lang), "q_quarantine", lang)


def _workbook(
    reader: object, owner: str, viewer: str | None, lang: str, run_id: str, institution: str, snapshot: str
) -> bytes:
    problems = qr.open_problems(reader, owner, viewer=viewer, run_id=run_id)
    return qr.workbook_bytes(problems, lang=lang, viewer=viewer, institution=institution, snapshot=snapshot)


def _export(ctx: qs.QualityContext, res: pd.DataFrame, q: pd.DataFrame, run_id: str) -> None:
    lang = ctx.lang
    st.subheader(qt("sec_export", lang))
    st.caption(qt("export_caption", lang))
    owners = [ctx.viewer] if ctx.viewer is not None else list(qd.owner_names())
    institution = ctx.settings.institution.name_zh if lang == "zh" else ctx.settings.institution.name_en
    columns = st.columns(len(owners))
    for column, owner in zip(columns, owners, strict=True):
        mine = res[(res["owner"] == owner) & res["status"].isin(qd.NOT_PASSING)]
        office = qd.owner_label(owner, lang)
        with column, st.container(border=True, key=f"q_export_{owner}"):
            st.markdown(f"**{office}**")
            st.caption(
                qt(
                    "export_counts",
                    lang,
                    rules=len(mine),
                    rows=f"{int(mine['failed_rows'].sum()):,}",
                    quarantined=int((q["owner"] == owner).sum()),
                )
            )
            st.download_button(
                qt("export_button", lang, office=office),
                data=functools.partial(
                    _workbook,
                    ctx.reader,
                    owner,
                    ctx.viewer,
                    lang,
                    run_id,
                    f"{institution} ({ctx.settings.institution.code})",
                    ctx.snapshot.snapshot_id,
                ),
                file_name=qr.export_file_name(owner, run_id),
                mime=qr.XLSX_MIME,
                key=f"dl_q_xlsx_{owner}",
                on_click="ignore",
                icon=":material/table_view:",
            )


def render() -> None:
    ctx = qs.get_quality_context()
    lang = ctx.lang
    run_id = qs.latest_run(ctx.snapshot.key, ctx.reader)
    if run_id is None:
        st.title(qt("quality_title", lang))
        st.info(qt("no_results", lang), icon=":material/info:")
        return
    res = qd.for_viewer(qs.results(ctx.snapshot.key, ctx.reader, run_id), ctx.viewer)
    quarantined = qd.for_viewer(qs.quarantine(ctx.snapshot.key, ctx.reader), ctx.viewer)
    _header(ctx, run_id, res)
    _cards(ctx, res, len(quarantined))
    sections = (
        ("sec_q_scorecard", lambda: _scorecard(ctx, res)),
        ("sec_q_trends", lambda: _trends(ctx, res)),
        ("sec_q_rules", lambda: _rules(ctx, res, run_id)),
        ("sec_q_drill", lambda: _drill(ctx, res, run_id)),
        ("sec_q_quarantine", lambda: _quarantine(ctx, quarantined)),
        ("sec_q_export", lambda: _export(ctx, res, quarantined, run_id)),
    )
    for key, draw in sections:
        st.divider()
        with st.container(key=key):
            draw()


if qs.has_quality_context():
    render()
else:
    # Run directly rather than by the shell (AppTest, legacy `pages/` mode): go through the shell,
    # which pins the quality snapshot and runs this page again.
    from dashboards.app import main

    main()
