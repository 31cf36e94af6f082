"""分析查询 / SQL: analysts' ad-hoc, read-only SQL on the published serving snapshot.

All safety rules are :mod:`orchestration.sandbox`'s (shared with ``campus-dw sql``): the snapshot
attached read-only in a private DuckDB, file access off, configuration locked, one read statement
only, a row limit and a statement timeout.  This module is the page around it: the query box, the
list of tables and columns with their descriptions (the dbt docs the publisher carried over as
DuckDB comments), the result with CSV/xlsx downloads, and plain error messages (never a traceback).

Room for the analysts' SQL issue: saved queries, history and sign-in belong here (the app's own
database, see DESIGN.md), around :func:`run_query`.

Element keys: ``sql_query`` (text area), ``sql_limit``, ``sql_timeout``, ``sql_run``,
``sql_error``, ``sql_result``, ``sql_tables``, ``sql_table_pick``, ``sql_columns``, downloads
``dl_csv_sql_result`` / ``dl_xlsx_sql_result``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import streamlit as st

from dashboards import queries
from dashboards.components import download_buttons
from dashboards.context import PageContext
from dashboards.i18n import t
from orchestration.sandbox import SqlError, SqlTimeout, query_sandbox

DEFAULT_LIMIT = 1000
MAX_LIMIT = 50_000
DEFAULT_TIMEOUT_S = 30
MAX_TIMEOUT_S = 300
#: per query: the dashboards share the machine with leaders' sessions
SANDBOX_MEMORY = "1GB"
SANDBOX_THREADS = 1
EXAMPLE = "select *\nfrom marts.fct_kpi_values\nwhere kpi_id = 'registered_students'\norder by academic_year"
RESULT_STATE = "sql_last"


@dataclass(frozen=True)
class Outcome:
    """What one press of "Run" produced (kept in the session so downloads don't rerun the query)."""

    query: str
    snapshot_id: str
    limit: int
    table: pa.Table | None = None
    truncated: bool = False
    seconds: float = 0.0
    error: str | None = None
    timed_out: bool = False


def run_query(snapshot: Path, snapshot_id: str, query: str, limit: int, timeout: float) -> Outcome:
    """Run ``query`` in the sandbox; every refusal or error becomes a message, never an exception."""
    try:
        result = query_sandbox(
            snapshot,
            query,
            limit=limit,
            timeout=timeout,
            memory_limit=SANDBOX_MEMORY,
            threads=SANDBOX_THREADS,
        )
    except SqlTimeout as exc:
        return Outcome(query, snapshot_id, limit, error=str(exc), timed_out=True)
    except SqlError as exc:
        return Outcome(query, snapshot_id, limit, error=str(exc))
    return Outcome(query, snapshot_id, limit, result.table, result.truncated, result.seconds)


# -- tables and columns ----------------------------------------------------------------------------------


@st.cache_data(show_spinner=False, max_entries=8)
def catalogue(snapshot_key: str, _reader: Any) -> pd.DataFrame:
    """Every column of the snapshot's tables and views, with the table's and the column's comment."""
    return queries._query(
        _reader,
        """
        select c.schema_name, c.table_name, coalesce(t.comment, v.comment) as table_comment,
               c.column_name, c.data_type, c.comment as column_comment
        from duckdb_columns() c
        left join duckdb_tables() t
            on t.database_name = c.database_name and t.schema_name = c.schema_name
            and t.table_name = c.table_name
        left join duckdb_views() v
            on v.database_name = c.database_name and v.schema_name = c.schema_name
            and v.view_name = c.table_name
        where c.database_name = current_database() and not c.internal
        order by c.schema_name = 'meta', c.schema_name, c.table_name, c.column_index
        """,
    )


def _tables(ctx: PageContext) -> None:
    lang = ctx.lang
    cols = catalogue(ctx.snapshot.key, ctx.reader)
    st.subheader(t("sql_tables", lang))
    st.caption(t("sql_tables_note", lang))
    if cols.empty:
        st.info(t("no_rows", lang))
        return
    cols = cols.assign(name=cols["schema_name"] + "." + cols["table_name"])
    tables = (
        cols.groupby("name", sort=False)
        .agg(description=("table_comment", "first"), columns=("column_name", "count"))
        .reset_index()
    )
    with st.container(key="sql_tables"):
        st.dataframe(
            tables.rename(
                columns={
                    "name": t("sql_col_table", lang),
                    "description": t("sql_col_description", lang),
                    "columns": t("sql_col_columns", lang),
                }
            ),
            hide_index=True,
            width="stretch",
            height=260,
        )
    names = tables["name"].tolist()
    picked = st.selectbox(t("sql_pick_table", lang), names, key="sql_table_pick")
    one = cols[cols["name"] == picked]
    with st.container(key="sql_columns"):
        st.dataframe(
            pd.DataFrame(
                {
                    t("sql_col_column", lang): one["column_name"],
                    t("sql_col_type", lang): one["data_type"],
                    t("sql_col_description", lang): one["column_comment"].fillna(""),
                }
            ),
            hide_index=True,
            width="stretch",
        )


# -- the result ------------------------------------------------------------------------------------------


def _downloadable(table: pa.Table) -> pd.DataFrame:
    """The result as pandas for CSV/xlsx: exact decimals kept; values xlsx cannot hold (lists,
    structs, maps, blobs, time zones) as text."""
    df = table.to_pandas(types_mapper=lambda ty: pd.Int64Dtype() if pa.types.is_integer(ty) else None)
    for name, field in zip(df.columns, table.schema, strict=True):
        ty = field.type
        if pa.types.is_timestamp(ty) and ty.tz is not None:
            df[name] = df[name].dt.tz_localize(None)
        elif not (
            pa.types.is_integer(ty)
            or pa.types.is_floating(ty)
            or pa.types.is_decimal(ty)
            or pa.types.is_boolean(ty)
            or pa.types.is_string(ty)
            or pa.types.is_large_string(ty)
            or pa.types.is_timestamp(ty)
            or pa.types.is_date(ty)
            or pa.types.is_null(ty)
        ):
            df[name] = [
                None if v is None or (isinstance(v, float) and v != v) else _text(v) for v in df[name]
            ]
    return df


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, dt.time | dt.timedelta):
        return str(value)
    return str(value.tolist() if hasattr(value, "tolist") else value)


def _show(outcome: Outcome, lang: str) -> None:
    if outcome.error is not None:
        with st.container(key="sql_error"):
            title = t("sql_timeout_title" if outcome.timed_out else "sql_error_title", lang)
            st.error(f"**{title}**", icon=":material/error:")
            st.code(outcome.error, language=None, wrap_lines=True)
        return
    table = outcome.table
    assert table is not None
    if not table.column_names:
        st.info(t("sql_no_result_set", lang))
        return
    note = t("sql_rows", lang, n=f"{table.num_rows:,}", s=f"{outcome.seconds:.2f}")
    if outcome.truncated:
        note += " · " + t("sql_truncated", lang, limit=f"{outcome.limit:,}")
    st.caption(note + " · " + t("snapshot_ref", lang, snapshot=outcome.snapshot_id))
    with st.container(key="sql_result"):
        st.dataframe(table, hide_index=True, width="stretch")
    download_buttons(_downloadable(table), "sql_result", lang, sheet="result")


# -- the page ----------------------------------------------------------------------------------------------


def render(ctx: PageContext) -> None:
    lang = ctx.lang
    st.title(t("sql_title", lang))
    st.caption(
        t(
            "sql_caption",
            lang,
            max_limit=f"{MAX_LIMIT:,}",
            max_timeout=MAX_TIMEOUT_S,
        )
    )
    left, right = st.columns([3, 2], gap="large")
    with left:
        query = st.text_area(
            t("sql_query_label", lang),
            value=EXAMPLE,
            height=200,
            key="sql_query",
            help=t("sql_query_help", lang),
        )
        c1, c2, c3 = st.columns([1, 1, 1], vertical_alignment="bottom")
        limit = c1.number_input(
            t("sql_limit_label", lang),
            min_value=1,
            max_value=MAX_LIMIT,
            value=DEFAULT_LIMIT,
            step=100,
            key="sql_limit",
        )
        timeout = c2.number_input(
            t("sql_timeout_label", lang),
            min_value=1,
            max_value=MAX_TIMEOUT_S,
            value=DEFAULT_TIMEOUT_S,
            step=5,
            key="sql_timeout",
            help=t("sql_timeout_help", lang),
        )
        if c3.button(t("sql_run", lang), key="sql_run", type="primary", icon=":material/play_arrow:"):
            with st.spinner(t("sql_running", lang)):
                st.session_state[RESULT_STATE] = run_query(
                    ctx.reader.path, ctx.snapshot.snapshot_id, query, int(limit), float(timeout)
                )
        outcome = st.session_state.get(RESULT_STATE)
        if isinstance(outcome, Outcome):
            _show(outcome, lang)
    with right:
        _tables(ctx)
