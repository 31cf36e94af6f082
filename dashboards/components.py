"""Small Streamlit building blocks shared by the pages: downloads, error box, no-snapshot page."""

from __future__ import annotations

import functools
import logging
import uuid

import pandas as pd
import streamlit as st

from dashboards.formatting import to_csv_bytes, to_xlsx_bytes
from dashboards.i18n import t

log = logging.getLogger("campus_dw.dashboards")

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def download_buttons(df: pd.DataFrame, name: str, lang: str, *, sheet: str | None = None) -> None:
    """CSV and xlsx download of ``df``.  ``name`` is an ASCII stem, unique on the page: it names the
    files and the widget keys (``dl_csv_<name>``, ``dl_xlsx_<name>``) that browser tests look for.
    The files are built only when clicked (deferred ``data`` callables)."""
    with st.container(horizontal=True, key=f"downloads_{name}"):
        st.download_button(
            t("download_csv", lang),
            data=functools.partial(to_csv_bytes, df),
            file_name=f"{name}.csv",
            mime="text/csv",
            key=f"dl_csv_{name}",
            on_click="ignore",
            icon=":material/download:",
        )
        st.download_button(
            t("download_xlsx", lang),
            data=functools.partial(to_xlsx_bytes, df, sheet or name),
            file_name=f"{name}.xlsx",
            mime=XLSX_MIME,
            key=f"dl_xlsx_{name}",
            on_click="ignore",
            icon=":material/table_view:",
        )


def show_error(exc: BaseException, lang: str, where: str) -> str:
    """Log ``exc`` with a short reference and show a friendly message with that reference only."""
    ref = uuid.uuid4().hex[:8].upper()
    log.error("dashboard error ref=%s while rendering %s", ref, where, exc_info=exc)
    st.error(f"**{t('error_title', lang)}**\n\n{t('error_body', lang, ref=ref)}", icon=":material/error:")
    return ref


def no_snapshot_page(lang: str, serving_dir: str) -> None:
    """The page shown until the pipeline has published its first serving snapshot."""
    with st.container(key="no_snapshot"):
        st.title(t("no_snapshot_title", lang))
        st.write(t("no_snapshot_body", lang))
        st.markdown(f"**{t('no_snapshot_demo', lang)}**")
        st.code("uv run campus-dw demo", language="bash")
        st.markdown(f"**{t('no_snapshot_run', lang)}**")
        st.code("uv run campus-dw run", language="bash")
        st.info(t("no_snapshot_after", lang), icon=":material/info:")
        st.caption(t("no_snapshot_where", lang, path=serving_dir))
