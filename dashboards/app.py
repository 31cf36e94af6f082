"""campus-dw dashboards: the app shell.  Run with ``uv run streamlit run dashboards/app.py``.

The shell sets up the page, the language switch (中文 default, English; ``?lang=en``), the
"data as of" line with a staleness warning, and the academic/fiscal year selectors (``?ay=``,
``?fy=``), pins the current serving snapshot for the run and hands all of it to the page through
:mod:`dashboards.context`.  Until a snapshot exists it shows how to run the pipeline.  No
exception ever reaches the page as a traceback: it is logged with a reference shown to the user.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from pathlib import Path

import streamlit as st

from dashboards import queries
from dashboards.components import no_snapshot_page, show_error
from dashboards.context import PageContext, page_context
from dashboards.formatting import available_years
from dashboards.i18n import DEFAULT_LANG, LANG_NAMES, LANGS, normalize_lang, t

PAGES_DIR = Path(__file__).resolve().parent / "pages"
DISPLAY_TZ = "Asia/Shanghai"

log = logging.getLogger("campus_dw.dashboards")


def _setup_logging() -> None:
    if not log.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.INFO)
        log.propagate = False


# -- state that survives reruns and lives in the URL ------------------------------------------------


def _sync_query_param(name: str, value: object, default: object) -> None:
    """Keep ``?name=value`` in the URL for shareable links; drop it when it equals the default."""
    if value == default:
        if name in st.query_params:
            del st.query_params[name]
    elif st.query_params.get(name) != str(value):
        st.query_params[name] = str(value)


def _language() -> str:
    if "lang" not in st.session_state:
        st.session_state["lang"] = normalize_lang(st.query_params.get("lang"))
    return normalize_lang(st.session_state["lang"])


def _year_param(name: str, options: list[int]) -> int | None:
    raw = st.query_params.get(name)
    if raw and raw.strip().isdigit() and int(raw) in options:
        return int(raw)
    return None


def _year_selector(key: str, label: str, options: list[int], default: int, fmt, help_text: str) -> int:
    if st.session_state.get(key) not in options:
        picked = _year_param(key, options)
        st.session_state[key] = picked if picked is not None else default
    value = st.selectbox(label, options, key=key, format_func=fmt, help=help_text)
    _sync_query_param(key, value, default)
    return int(value)


# -- freshness ---------------------------------------------------------------------------------------


def format_timestamp(ts: object, lang: str) -> str:
    """Publication time for people: Beijing time, minutes."""
    if isinstance(ts, str):
        try:
            ts = datetime.fromisoformat(ts)
        except ValueError:
            return ts
    if isinstance(ts, datetime):
        if ts.tzinfo is not None:
            try:
                from zoneinfo import ZoneInfo

                ts = ts.astimezone(ZoneInfo(DISPLAY_TZ))
            except Exception:  # no tz database: show the time as published
                pass
        return ts.strftime("%Y-%m-%d %H:%M")
    return t("unknown_time", lang)


def format_age(age: timedelta, lang: str) -> str:
    hours = int(age.total_seconds() // 3600)
    if hours >= 48:
        return t("age_days", lang, d=hours // 24, h=hours % 24)
    return t("age_hours", lang, h=hours)


def _freshness(snapshot: queries.SnapshotInfo, stale_after_hours: float, lang: str) -> None:
    with st.container(key="data_as_of"):
        st.markdown(f"**{t('data_as_of', lang, ts=format_timestamp(snapshot.published_at, lang))}**")
        st.caption(t("snapshot_ref", lang, snapshot=snapshot.snapshot_id))
        if snapshot.age is not None and snapshot.age > timedelta(hours=stale_after_hours):
            st.warning(
                t("stale_warning", lang, hours=f"{stale_after_hours:g}", age=format_age(snapshot.age, lang)),
                icon=":material/schedule:",
            )


def _default_academic_year(values, options: list[int]) -> int:
    """The latest year with a census headcount (as ``campus-dw kpis`` defaults), else the latest."""
    has = values[(values["kpi_id"] == "registered_students") & values["value"].notna()]
    years = [int(y) for y in has["academic_year"].dropna().tolist() if int(y) in options]
    return max(years) if years else options[0]


# -- the shell ---------------------------------------------------------------------------------------


# url_path → (module file, title key, icon); url_path values are stable (links, browser tests).
PAGES: dict[str, tuple[str, str, str]] = {
    "overview": ("overview.py", "page_overview", ":material/dashboard:"),
    "students": ("students.py", "page_students", ":material/groups:"),
    "faculty": ("faculty.py", "page_faculty", ":material/school:"),
    "finance": ("finance.py", "page_finance", ":material/account_balance:"),
    "sql": ("sql.py", "page_sql", ":material/terminal:"),
    "quality": ("quality.py", "page_quality", ":material/rule:"),
}
# Pages that read per-unit aggregates and so offer the sidebar's unit filter.
UNIT_PAGES = frozenset({"students", "faculty", "finance"})


def _pages(lang: str) -> list[st.Page]:
    return [
        st.Page(
            str(PAGES_DIR / module),
            title=t(title, lang),
            icon=icon,
            url_path=path,
            default=path == "overview",
        )
        for path, (module, title, icon) in PAGES.items()
        if (PAGES_DIR / module).exists()
    ]


def _unit_selector(snapshot: queries.SnapshotInfo, reader, lang: str) -> tuple[str | None, str | None]:
    """The sidebar's unit filter (``?unit=``), from dim_org_unit; ("", all units) by default."""
    units = queries.org_units(snapshot.key, reader)
    if units.empty:
        return None, None
    names = {str(c): str(n) for c, n in zip(units["unit_code"], units["unit_name"], strict=True)}
    if lang == "en" and "unit_name_en" in units:  # English where a translation exists, else Chinese
        english = zip(units["unit_code"], units["unit_name_en"], strict=True)
        names.update({str(c): n for c, n in english if isinstance(n, str) and n.strip()})
    options = ["", *sorted(names, key=lambda c: (names[c], c))]
    if st.session_state.get("unit") not in options:
        raw = st.query_params.get("unit") or ""
        st.session_state["unit"] = raw if raw in options else ""
    value = st.selectbox(
        t("unit_label", lang),
        options,
        key="unit",
        format_func=lambda c: names.get(c, c) if c else t("all_units", lang),
        help=t("unit_help", lang),
    )
    _sync_query_param("unit", value, "")
    return (value, names[value]) if value else (None, None)


def _shell(lang: str) -> None:
    if "unit" in st.session_state:  # keep the unit filter while a page without it is shown
        st.session_state["unit"] = st.session_state["unit"]
    page = st.navigation(_pages(lang))
    with st.sidebar:
        st.segmented_control(
            t("lang_label", lang), LANGS, key="lang", format_func=LANG_NAMES.get, required=True
        )
    _sync_query_param("lang", lang, DEFAULT_LANG)

    from orchestration.settings import ConfigError

    try:
        settings = queries.get_settings()
    except ConfigError as exc:
        st.error(f"**{t('config_error_title', lang)}**\n\n{t('config_error_body', lang)}")
        st.code(str(exc), language=None)
        return

    if page.url_path == "quality":  # the stewards' page reads the quality snapshot, not serving
        from dashboards.quality_shell import run_quality_page

        run_quality_page(page, settings, lang, _freshness)
        return

    from dashboards.snapshot import NoSnapshotError

    reader = queries.get_reader()
    try:
        snapshot = queries.current_snapshot(reader, settings)
    except NoSnapshotError:
        st.sidebar.info(t("no_snapshot_sidebar", lang), icon=":material/hourglass_empty:")
        no_snapshot_page(lang, str(settings.serving_dir))
        return

    values = queries.kpi_values(snapshot.key, reader)
    ay_options = available_years(values, "academic_year")
    fy_options = available_years(values, "fiscal_year")
    with st.sidebar:
        _freshness(snapshot, settings.publish.stale_after_hours, lang)
        if not ay_options:
            st.warning(t("no_years", lang))
            return
        ay_default = _default_academic_year(values, ay_options)
        ay = _year_selector(
            "ay",
            t("academic_year_label", lang),
            ay_options,
            ay_default,
            lambda y: t("academic_year_fmt", lang, y=y, y1=y + 1),
            t("academic_year_help", lang),
        )
        if fy_options:
            fy_default = ay_default if ay_default in fy_options else fy_options[0]
            fy = _year_selector(
                "fy",
                t("fiscal_year_label", lang),
                fy_options,
                fy_default,
                lambda y: t("fiscal_year_fmt", lang, y=y),
                t("fiscal_year_help", lang),
            )
        else:
            fy = ay
        unit_code = unit_name = None
        if page.url_path in UNIT_PAGES:
            unit_code, unit_name = _unit_selector(snapshot, reader, lang)
    try:
        with page_context(PageContext(lang, settings, reader, snapshot, ay, fy, unit_code, unit_name)):
            page.run()
    except Exception as exc:  # st.stop/st.rerun are BaseException and pass through
        show_error(exc, lang, f"page {page.url_path or 'overview'}")


def main() -> None:
    _setup_logging()
    lang = _language()
    st.set_page_config(
        page_title=t("app_title", lang),
        page_icon=":material/school:",
        layout="wide",
        initial_sidebar_state="expanded",
    )
    try:
        _shell(lang)
    except Exception as exc:
        show_error(exc, lang, "app shell")


if __name__ == "__main__":  # Streamlit runs the entry point as __main__; pages import main()
    main()
