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


# -- the published aggregates (docs/marts-for-dashboards.md) -------------------------------------------

# Aggregate → the column that holds its year (None: the whole table is small and read at once).
AGGREGATES: dict[str, str | None] = {
    "agg_student_census": "academic_year",
    "agg_student_flows": "academic_year",
    "agg_pass_rates": "academic_year",
    "agg_academic_risk": "academic_year",
    "agg_graduates": "academic_year",
    "agg_faculty_census": "academic_year",
    "agg_external_teachers": "academic_year",
    "agg_unit_student_teacher_ratio": "academic_year",
    "agg_staff_flows": None,
    "agg_budget_execution": "fiscal_year",
    "agg_tuition": "academic_year",
    "dim_org_unit": None,
    "dim_major": None,
    "dim_course": None,
}


def has_table(snapshot_key: str, reader: Any, table: str) -> bool:
    return bool(table_columns(snapshot_key, reader).get(f"marts.{table}"))


@st.cache_data(show_spinner=False, max_entries=256)
def aggregate(snapshot_key: str, _reader: Any, table: str, year: int | None = None) -> pd.DataFrame | None:
    """Rows of a published aggregate (only the names in :data:`AGGREGATES`), for one year when the
    table has a year column and ``year`` is given; None when the snapshot has no such table."""
    if table not in AGGREGATES:
        raise ValueError(f"{table} is not a published aggregate the dashboards read")
    columns = table_columns(snapshot_key, _reader).get(f"marts.{table}")
    if not columns:
        return None
    year_col = AGGREGATES[table]
    if year is not None and year_col in columns:
        return _query(_reader, f"select * from marts.{table} where {year_col} = ?", [int(year)])
    return _query(_reader, f"select * from marts.{table}")


@st.cache_data(show_spinner=False, max_entries=_MAX_ENTRIES)
def aggregate_years(snapshot_key: str, _reader: Any, table: str) -> list[int]:
    """The years an aggregate holds, newest first (empty when the table is missing)."""
    columns = table_columns(snapshot_key, _reader).get(f"marts.{table}") or []
    year_col = AGGREGATES.get(table)
    if year_col is None or year_col not in columns:
        return []
    df = _query(
        _reader,
        f"select distinct cast({year_col} as integer) as y from marts.{table} where {year_col} is not null",
    )
    return sorted((int(y) for y in df["y"]), reverse=True)


@st.cache_data(show_spinner=False, max_entries=_MAX_ENTRIES)
def org_units(snapshot_key: str, _reader: Any) -> pd.DataFrame:
    """unit_code, unit_name, unit_name_en (null where no translation is maintained), is_teaching of
    ``marts.dim_org_unit`` (empty when it is missing)."""
    columns = table_columns(snapshot_key, _reader).get("marts.dim_org_unit") or []
    if "unit_code" not in columns:
        return pd.DataFrame({"unit_code": [], "unit_name": [], "unit_name_en": [], "is_teaching": []})
    name = "unit_name" if "unit_name" in columns else "unit_code"
    name_en = "unit_name_en" if "unit_name_en" in columns else "cast(null as varchar)"
    teaching = "is_teaching" if "is_teaching" in columns else "true"
    return _query(
        _reader,
        f"select distinct unit_code, {name} as unit_name, {name_en} as unit_name_en, "
        f"{teaching} as is_teaching "
        "from marts.dim_org_unit where unit_code is not null order by unit_code",
    )
