"""Readers of the published snapshots (dashboards, ``campus-dw sql``, ``campus-dw kpis``).

A reader opens the snapshot named by ``serving/CURRENT`` (or ``quality/CURRENT``) READ-ONLY and
keeps the connection per snapshot file.  Every call looks at the pointer (one ``stat``; the file is
re-read only when it was replaced); when a new snapshot has been published the reader opens it and
closes the old connection as soon as no query of this reader is still running on it.  Readers never
open the working warehouse.

Use :meth:`SnapshotReader.query` (a fresh cursor per query, safe from several threads) and key any
cache on :attr:`SnapshotReader.snapshot_id`.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import pyarrow as pa

from extractors.duckdb_setup import connect
from orchestration.publish import (
    SERVING,
    PublishError,
    SnapshotInfo,
    current_snapshot,
    pointer_path,
    snapshots_dir,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

    from orchestration.settings import Settings


class NoSnapshotError(RuntimeError):
    """Nothing is published (or the published file is gone): the message says what to run."""


@dataclass
class _Handle:
    info: SnapshotInfo
    con: duckdb.DuckDBPyConnection
    refs: int = 0
    retired: bool = False


class SnapshotReader:
    """Read-only access to the current published snapshot of ``kind`` ("serving" or "quality")."""

    def __init__(self, settings: Settings, *, kind: str = SERVING) -> None:
        self.settings = settings
        self.kind = kind
        self._lock = threading.RLock()
        self._handle: _Handle | None = None
        self._pointer_stamp: tuple[int, int, int] | None = None

    # -- pointer -------------------------------------------------------------------------------
    def _no_snapshot(self, detail: str) -> NoSnapshotError:
        what = "serving" if self.kind == SERVING else "stewards' quality"
        return NoSnapshotError(
            f"No {what} snapshot is available ({detail}). Run the pipeline to publish one: "
            "`campus-dw run` (or `campus-dw demo` to generate, load and serve the demo college); "
            "`campus-dw status` shows the last run."
        )

    def _stamp(self) -> tuple[int, int, int] | None:
        try:
            st = pointer_path(self.settings, self.kind).stat()
        except FileNotFoundError:
            return None
        return (st.st_ino, st.st_mtime_ns, st.st_size)

    def _open(self, info: SnapshotInfo) -> duckdb.DuckDBPyConnection:
        folder = snapshots_dir(self.settings, self.kind).resolve()
        path = info.path.resolve()
        if path.parent != folder or path == self.settings.warehouse_path.resolve():
            raise self._no_snapshot(
                f"{pointer_path(self.settings, self.kind)} names {info.path}, "
                "which is not a published snapshot"
            )
        return connect(path, read_only=True)

    def _refresh(self) -> _Handle:
        """The handle of the current snapshot, (re)opened if the pointer changed.  Caller holds _lock."""
        stamp = self._stamp()
        if self._handle is not None and stamp == self._pointer_stamp:
            return self._handle
        if stamp is None:
            raise self._no_snapshot(f"no {pointer_path(self.settings, self.kind)}")
        last_exc: Exception | None = None
        for _ in range(3):  # the pointer may be replaced between reading it and opening the file
            try:
                info = current_snapshot(self.settings, self.kind)
            except PublishError as exc:
                raise self._no_snapshot(str(exc)) from None
            if info is None:
                raise self._no_snapshot(f"no {pointer_path(self.settings, self.kind)}")
            if self._handle is not None and info.path == self._handle.info.path:
                self._handle.info = info
                self._pointer_stamp = stamp
                return self._handle
            try:
                con = self._open(info)
            except (duckdb.Error, FileNotFoundError) as exc:
                last_exc = exc
                stamp = self._stamp()
                continue
            old = self._handle
            self._handle = _Handle(info, con)
            self._pointer_stamp = stamp
            if old is not None:
                old.retired = True
                if old.refs == 0:
                    old.con.close()
            return self._handle
        raise self._no_snapshot(
            f"the snapshot named by {pointer_path(self.settings, self.kind)} "
            f"cannot be opened: {last_exc}; `campus-dw rollback` switches back"
        )

    # -- public API ----------------------------------------------------------------------------
    def connection(self) -> duckdb.DuckDBPyConnection:
        """The read-only connection to the current snapshot (valid until the pointer changes:
        prefer :meth:`query`, or take ``.cursor()`` per thread)."""
        with self._lock:
            return self._refresh().con

    def info(self) -> SnapshotInfo:
        with self._lock:
            return self._refresh().info

    @property
    def snapshot_id(self) -> str:
        """The current snapshot's file name (unique per publish): key caches on it."""
        return self.info().name

    @property
    def run_id(self) -> str:
        return self.info().run_id

    @property
    def published_at(self) -> datetime:
        return self.info().published_at

    @property
    def age(self) -> timedelta:
        return self.info().age

    @property
    def path(self) -> Path:
        return self.info().path

    def query(self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None) -> pa.Table:
        """Run one read-only query on the current snapshot and return an Arrow table."""
        with self._lock:
            handle = self._refresh()
            handle.refs += 1
        try:
            cur = handle.con.cursor()
            try:
                if params is None:
                    cur.execute(sql)
                else:
                    cur.execute(sql, params)
                return cur.to_arrow_table()
            finally:
                cur.close()
        finally:
            with self._lock:
                handle.refs -= 1
                if handle.retired and handle.refs == 0:
                    handle.con.close()

    def close(self) -> None:
        with self._lock:
            if self._handle is not None:
                self._handle.retired = True
                if self._handle.refs == 0:
                    self._handle.con.close()
                self._handle = None
                self._pointer_stamp = None

    def __enter__(self) -> SnapshotReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
