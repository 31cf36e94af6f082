"""The app shell's part for the Data quality page: its own snapshot (the stewards' QUALITY snapshot,
``<home>/quality/CURRENT``), its "data as of" line, the viewer's role, and cached queries.

The shell (``dashboards/app.py``) hands the quality page over to :func:`run_quality_page` before it
looks at the serving snapshot: the quality page reads nothing else, and works even when no serving
snapshot exists.  Like the serving reader, the quality reader is one
:class:`~dashboards.snapshot.SnapshotReader` per configuration (``st.cache_resource``) that keeps a
read-only connection per snapshot and reopens when the pointer changes; every query is
``st.cache_data``-cached on the snapshot key (quality directory + snapshot file name).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd
import streamlit as st

from dashboards import quality_data as qd
from dashboards import queries
from dashboards.auth import current_viewer
from dashboards.components import show_error
from dashboards.context import ContextSlot
from dashboards.quality_i18n import qt
from orchestration.settings import Settings

_MAX_ENTRIES = 64


@st.cache_resource(show_spinner=False)
def _quality_reader_for(key: str):  # -> SnapshotReader
    from dashboards.snapshot import SnapshotReader
    from orchestration.publish import QUALITY

    return SnapshotReader(queries._settings_for(key), kind=QUALITY)


def get_quality_reader():
    """The process-wide reader of the stewards' quality snapshot for this configuration."""
    return _quality_reader_for(queries.config_key())


@dataclass(frozen=True)
class QualityContext:
    lang: str
    settings: Settings
    reader: Any  # SnapshotReader of kind "quality"
    snapshot: queries.SnapshotInfo
    viewer: str | None  # the viewer's steward owner (dashboards.auth), None: no role, all masked


_quality: ContextSlot[QualityContext] = ContextSlot("quality page")


def quality_context(ctx: QualityContext):
    """Context manager: ``ctx`` is the quality page's context while the block runs."""
    return _quality.use(ctx)


def has_quality_context() -> bool:
    return _quality.present()


def get_quality_context() -> QualityContext:
    return _quality.get()


def _snapshot_info(reader: Any, settings: Settings) -> queries.SnapshotInfo:
    info = queries.current_snapshot(reader, settings)  # raises NoSnapshotError
    return queries.SnapshotInfo(
        f"{settings.quality_dir}|{info.snapshot_id}", info.snapshot_id, info.published_at, info.age
    )


def no_quality_page(lang: str, quality_dir: str) -> None:
    with st.container(key="no_quality_snapshot"):
        st.title(qt("no_quality_title", lang))
        st.write(qt("no_quality_body", lang))
        st.code("uv run campus-dw run", language="bash")
        st.code("uv run campus-dw quality", language="bash")
        st.caption(qt("no_snapshot_where", lang, path=quality_dir))


def run_quality_page(page: Any, settings: Settings, lang: str, freshness: Callable[..., None]) -> None:
    """Pin the current quality snapshot, show its freshness in the sidebar and run the page."""
    from dashboards.snapshot import NoSnapshotError

    reader = get_quality_reader()
    try:
        snapshot = _snapshot_info(reader, settings)
    except NoSnapshotError:
        st.sidebar.info(qt("no_quality_title", lang), icon=":material/hourglass_empty:")
        no_quality_page(lang, str(settings.quality_dir))
        return
    viewer = current_viewer()
    with st.sidebar:
        freshness(snapshot, settings.publish.stale_after_hours, lang)
    try:
        with quality_context(QualityContext(lang, settings, reader, snapshot, viewer)):
            page.run()
    except Exception as exc:  # st.stop/st.rerun are BaseException and pass through
        show_error(exc, lang, "page quality")


# -- cached queries (keyed on the snapshot; UNMASKED: mask after reading) -----------------------------


@st.cache_data(show_spinner=False, max_entries=_MAX_ENTRIES)
def latest_run(snapshot_key: str, _reader: Any) -> str | None:
    return qd.latest_run(_reader)


@st.cache_data(show_spinner=False, max_entries=_MAX_ENTRIES)
def runs(snapshot_key: str, _reader: Any) -> pd.DataFrame:
    return qd.runs(_reader)


@st.cache_data(show_spinner=False, max_entries=_MAX_ENTRIES)
def results(snapshot_key: str, _reader: Any, run_id: str) -> pd.DataFrame:
    return qd.results(_reader, run_id)


@st.cache_data(show_spinner=False, max_entries=_MAX_ENTRIES)
def trend_by_system(snapshot_key: str, _reader: Any) -> pd.DataFrame:
    return qd.trend_by_system(_reader)


@st.cache_data(show_spinner=False, max_entries=_MAX_ENTRIES)
def trend_by_rule(snapshot_key: str, _reader: Any, rule_ids: tuple[str, ...]) -> pd.DataFrame:
    return qd.trend_by_rule(_reader, list(rule_ids))


@st.cache_data(show_spinner=False, max_entries=256)
def failing_rows(snapshot_key: str, _reader: Any, run_id: str, rule_id: str, limit: int) -> pd.DataFrame:
    return qd.failing_rows(_reader, run_id, [rule_id], limit=limit)


@st.cache_data(show_spinner=False, max_entries=256)
def failing_count(snapshot_key: str, _reader: Any, run_id: str, rule_id: str) -> int:
    return qd.failing_count(_reader, run_id, rule_id)


@st.cache_data(show_spinner=False, max_entries=_MAX_ENTRIES)
def quarantine(snapshot_key: str, _reader: Any) -> pd.DataFrame:
    return qd.quarantine(_reader)
