"""Everything the dashboards read, from the published serving snapshot only.

- One :class:`~dashboards.snapshot.SnapshotReader` per configuration, cached with
  ``st.cache_resource``; the reader keeps one read-only connection per snapshot and reopens when
  the CURRENT pointer changes, so a new publish shows up without a restart.
- Every query is ``st.cache_data``-cached on the snapshot key (serving directory + snapshot id):
  a new snapshot is a new key, so no stale result outlives its snapshot, and nothing needs a TTL.
- Results are pandas DataFrames built from Arrow; decimals stay ``Decimal`` (exact), integer
  columns with nulls become nullable ``Int64``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import streamlit as st

from orchestration.settings import Settings, load_settings

_MAX_ENTRIES = 64  # a few snapshots × a handful of queries


def config_key() -> str:
    """What decides which configuration (and so which serving directory) this process uses."""
    return "|".join(
        [
            os.environ.get("CAMPUS_DW_CONFIG", ""),
            os.environ.get("CAMPUS_DW_HOME", ""),
            os.environ.get("CAMPUS_DW_DEMO_SCALE", ""),
            str(Path.cwd()),
        ]
    )


@st.cache_resource(show_spinner=False)
def _settings_for(key: str) -> Settings:
    return load_settings()


@st.cache_resource(show_spinner=False)
def _reader_for(key: str):  # -> SnapshotReader
    from dashboards.snapshot import SnapshotReader

    return SnapshotReader(_settings_for(key))


def get_settings() -> Settings:
    """The validated configuration (raises ``ConfigError`` with a readable message)."""
    return _settings_for(config_key())


def get_reader():
    """The process-wide snapshot reader for this configuration."""
    return _reader_for(config_key())


@dataclass(frozen=True)
class SnapshotInfo:
    """The snapshot a script run works against: pinned once at the start of the run."""

    key: str  # cache key: serving directory + snapshot id
    snapshot_id: str
    published_at: datetime | str | None
    age: timedelta | None


def current_snapshot(reader: Any, settings: Settings) -> SnapshotInfo:
    """The current snapshot; raises ``NoSnapshotError`` when none has been published."""
    reader.connection()  # (re)opens on a changed pointer; raises NoSnapshotError when there is none
    snapshot_id = str(reader.snapshot_id)
    published_at = getattr(reader, "published_at", None)
    age = getattr(reader, "age", None)
    if age is None and isinstance(published_at, datetime):
        now = datetime.now(published_at.tzinfo) if published_at.tzinfo else datetime.now()
        age = now - published_at
    return SnapshotInfo(f"{settings.serving_dir}|{snapshot_id}", snapshot_id, published_at, age)


def _to_pandas(table: pa.Table) -> pd.DataFrame:
    int_types = {pa.int8(), pa.int16(), pa.int32(), pa.int64(), pa.uint8(), pa.uint16(), pa.uint32()}
    return table.to_pandas(types_mapper=lambda t: pd.Int64Dtype() if t in int_types else None)


def _query(reader: Any, sql: str, params: list | None = None) -> pd.DataFrame:
    return _to_pandas(reader.query(sql, params or []))


@st.cache_data(show_spinner=False, max_entries=_MAX_ENTRIES)
def table_columns(snapshot_key: str, _reader: Any) -> dict[str, list[str]]:
    """``schema.table`` → column names, for the tables of the serving snapshot."""
    df = _query(
        _reader,
        "select table_schema, table_name, column_name from information_schema.columns "
        "order by table_schema, table_name, ordinal_position",
    )
    out: dict[str, list[str]] = {}
    for schema, table, column in df.itertuples(index=False, name=None):
        out.setdefault(f"{schema}.{table}", []).append(column)
    return out


@st.cache_data(show_spinner=False, max_entries=_MAX_ENTRIES)
def kpi_values(snapshot_key: str, _reader: Any) -> pd.DataFrame:
    """All of ``marts.fct_kpi_values`` (a few hundred rows: indicators × years)."""
    return _query(
        _reader,
        "select kpi_id, cast(academic_year as integer) as academic_year, "
        "cast(fiscal_year as integer) as fiscal_year, value, numerator, denominator "
        "from marts.fct_kpi_values order by kpi_id, academic_year, fiscal_year",
    )


@st.cache_data(show_spinner=False, max_entries=_MAX_ENTRIES)
def kpi_dictionary(snapshot_key: str, _reader: Any) -> pd.DataFrame:
    """``marts.dim_kpi`` with whichever of the expected columns it has (kpi_id always)."""
    columns = table_columns(snapshot_key, _reader).get("marts.dim_kpi")
    wanted = ["kpi_id", "name_zh", "name_en", "unit", "decimals", "definition_zh", "definition_en"]
    if not columns or "kpi_id" not in columns:
        return pd.DataFrame(columns=wanted)
    present = [c for c in wanted if c in columns]
    df = _query(_reader, f"select {', '.join(present)} from marts.dim_kpi")
    for c in wanted:
        if c not in df.columns:
            df[c] = None
    return df[wanted]


@st.cache_data(show_spinner=False, max_entries=_MAX_ENTRIES)
def running_conditions(snapshot_key: str, _reader: Any) -> pd.DataFrame | None:
    """``marts.fct_running_conditions`` as published, or None when the snapshot has no such table."""
    columns = table_columns(snapshot_key, _reader).get("marts.fct_running_conditions") or []
    limit = next((c for c in ("limit_line", "limiting_line") if c in columns), None)
    if limit is None or not {"kpi_id", "academic_year", "pass_line"}.issubset(columns):
        return None
    select = [
        "kpi_id",
        "cast(academic_year as integer) as academic_year",
        "pass_line",
        f"{limit} as limit_line",
    ]
    select += [c for c in ("value", "meets_pass", "meets_limit") if c in columns]
    return _query(_reader, f"select {', '.join(select)} from marts.fct_running_conditions")
