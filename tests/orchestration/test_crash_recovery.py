"""kill -9 of a real ``campus-dw run`` during extraction, during dbt and during publish (issue 5).

One fresh home on a fresh copy of the small demo college, four runs of
``python -m orchestration.cli --config <cfg> run --full`` in a row:

1. killed while extracting (when ``academic.cjxx`` starts: the first load goes scanner -> raw in
   autocommit, so earlier tables are committed and this one is mid-INSERT);
2. killed while dbt builds (after ten models; the ``dbt build`` child outlives its parent and goes
   on writing the warehouse: the next run must stop it, see ``pipeline.release_stale_writers``);
3. killed while publishing (as soon as the serving snapshot's temporary file exists);
4. a rerun that completes.

After every kill the published snapshot is never a partial one: CURRENT still names the snapshot
published before (the home starts with the clean run's published folders, so there is one) and its
checksum verifies; nothing half-built is listed.  After the runs whose extraction completed, raw
holds no duplicate versions and exactly the source's keys.  At the end, the indicators and the
marts' row counts equal the clean run's (the ``small_pipeline`` fixture: same college, one
uninterrupted run).  Helpers are shared with ``test_concurrent_runs.py``.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from extractors.catalog import load_catalog
from orchestration import publish as pub
from orchestration.locking import warehouse_holder
from orchestration.settings import PROJECT_ROOT, Settings, load_settings
from tests.conftest import ROW_HASH_PAIR, write_config

RUN_TIMEOUT_S = 900  # one small run takes 1-4 minutes on the shared 2-core machine


# ------------------------------------------------------------------------------------ helpers
class CliRun:
    """``campus-dw --config CFG <args>`` in a subprocess (its own session), stderr lines collected."""

    def __init__(self, cfg: Path, *args: str) -> None:
        self.lines: list[str] = []
        self._q: queue.Queue[str | None] = queue.Queue()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "orchestration.cli", "--config", str(cfg), *args],
            cwd=PROJECT_ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,  # lets the test clean up what a killed run leaves behind
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self._q.put(line.rstrip("\n"))
        self._q.put(None)

    def _drain(self) -> bool:
        """Collect pending lines; False once stderr is closed."""
        open_ = True
        while True:
            try:
                line = self._q.get_nowait()
            except queue.Empty:
                return open_
            if line is None:
                open_ = False
            else:
                self.lines.append(line)

    def progress(self) -> list[str]:
        return [ln for ln in self.lines if ln.startswith("[campus-dw ")]

    def tail(self, n: int = 40) -> str:
        return "\n".join(self.lines[-n:])

    def seen(self, text: str) -> bool:
        return any(text in ln for ln in self.lines)

    def wait_until(self, predicate: Callable[[CliRun], bool], timeout: float = RUN_TIMEOUT_S) -> bool:
        """Poll (10 ms) until ``predicate(self)``; False if the process ended first."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self._drain()
            if predicate(self):
                return True
            if self.proc.poll() is not None:
                time.sleep(0.2)
                self._drain()
                return predicate(self)
            time.sleep(0.01)
        raise AssertionError(f"timed out after {timeout} s; last lines:\n{self.tail()}")

    def kill_when(self, predicate: Callable[[CliRun], bool], what: str) -> None:
        """SIGKILL the run's own process (not its children) as soon as ``predicate`` holds."""
        if not self.wait_until(predicate):
            raise AssertionError(f"the run ended (rc {self.proc.returncode}) before {what}:\n{self.tail()}")
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)
        assert self.proc.returncode == -signal.SIGKILL
        self._drain()

    def finish(self, timeout: float = RUN_TIMEOUT_S) -> int:
        self.wait_until(lambda r: r.proc.poll() is not None, timeout)
        self._reader.join(timeout=10)
        self._drain()
        return self.proc.returncode

    def cleanup(self) -> None:
        """Kill whatever is left in the run's process group (an orphaned dbt child, say)."""
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        if self.proc.poll() is None:
            self.proc.wait(timeout=30)


def fresh_home(
    tmp_path: Path, small_college: Path, payment_url: str, *, seed_from: Settings | None = None
) -> tuple[Path, Settings]:
    """A fresh college copy and a fresh home; optionally start with ``seed_from``'s published folders."""
    college = tmp_path / "college"
    shutil.copytree(small_college, college)
    home = tmp_path / "home"
    home.mkdir()
    if seed_from is not None:
        for sub in ("serving", "quality", "secrets"):
            src = seed_from.home_dir / sub
            if src.exists():
                shutil.copytree(src, home / sub)
    cfg = write_config(home, college, payment_url)
    return cfg, load_settings(cfg)


def dbt_children(settings: Settings) -> list[int]:
    """Processes started by a run on this warehouse that are still alive (they carry its path)."""
    from orchestration.pipeline import _orphaned_dbt

    return _orphaned_dbt(settings.warehouse_path)


def assert_serving_intact(settings: Settings, expected: str | None) -> pub.SnapshotInfo | None:
    """CURRENT names a complete snapshot whose checksum verifies (``expected`` when given)."""
    for kind in (pub.SERVING, pub.QUALITY):
        info = pub.current_snapshot(settings, kind)
        if kind == pub.SERVING and expected is not None:
            assert info is not None and info.name == expected, f"CURRENT moved: {info}"
        if info is not None:
            assert not info.name.startswith("."), info
            assert pub.verify_snapshot(info), f"{kind} CURRENT {info.name} does not verify"
            duckdb.connect(str(info.path), read_only=True).close()  # a real, readable DuckDB file
        for snap in pub.list_snapshots(settings, kind):  # nothing half-built is listed as a snapshot
            assert pub.verify_snapshot(snap), f"{snap.name} is listed but does not verify"
    return pub.current_snapshot(settings)


def _open_copy(warehouse: Path, scratch: Path) -> duckdb.DuckDBPyConnection:
    """Open a copy (file + WAL) read-only, so that inspecting never replays the WAL in place."""
    scratch.mkdir(parents=True, exist_ok=True)
    for suffix in ("", ".wal"):
        src = Path(str(warehouse) + suffix)
        if src.exists():
            shutil.copy2(src, scratch / (warehouse.name + suffix))
    return duckdb.connect(str(scratch / warehouse.name), read_only=True)


def raw_state(warehouse: Path, scratch: Path) -> dict[str, object]:
    """Per raw table: duplicate versions found, and the current versions (key -> row hash)."""
    con = _open_copy(warehouse, scratch)
    try:
        present = {
            r[0]
            for r in con.execute(
                "select table_name from duckdb_tables() where schema_name = 'raw'"
            ).fetchall()
        }
        keyed = {
            t.raw_name: list(t.primary_key) for tables in load_catalog().values() for t in tables.values()
        }
        keyed["payment__bills"] = ["bill_id"]
        out: dict[str, object] = {"tables": sorted(present)}
        for raw, keys in keyed.items():
            if raw not in present:
                continue
            k = ", ".join(f'"{c}"' for c in keys)
            # no two consecutive versions of a key with the same hash; one row per key per load
            out[f"{raw}:repeated_versions"] = con.execute(f"""select count(*) from (
                select _row_hash, lag(_row_hash) over (partition by {k} order by _loaded_at, _op) as prev
                from raw."{raw}") where _row_hash = prev""").fetchone()[0]
            out[f"{raw}:rows_per_key_per_load>1"] = con.execute(f"""select count(*) from (
                select {k}, _loaded_at from raw."{raw}" group by all having count(*) > 1)""").fetchone()[0]
            order = (
                "updated_at desc, _loaded_at desc" if raw == "payment__bills" else "_loaded_at desc, _op desc"
            )
            out[f"{raw}:current"] = sorted(
                con.execute(f"""select {k}, {ROW_HASH_PAIR} from (
                select *, row_number() over (partition by {k} order by {order}) as rn from raw."{raw}")
                where rn = 1 and _op <> 'D'""").fetchall()
            )
        for raw in ("finance__budget", "finance__ledger"):
            if raw in present:
                out[f"{raw}:repeated_lines"] = con.execute(f"""select count(*) from (
                    select _checksum, _line_no from raw."{raw}" group by all having count(*) > 1)""").fetchone()[0]
                out[f"{raw}:lines"] = con.execute(f'select count(*) from raw."{raw}"').fetchone()[0]
        return out
    finally:
        con.close()


def source_keys(college: Path) -> dict[str, int]:
    """Distinct non-NULL primary keys per source database table (what raw's current versions must hold)."""
    from extractors.duckdb_setup import connect

    con = connect()
    try:
        out = {}
        for system, tables in load_catalog().items():
            db = college / f"{system}.sqlite"
            con.execute(f"attach '{db}' as {system} (type sqlite, read_only)")
            con.execute("set sqlite_all_varchar = true")
            for t in tables.values():
                k = ", ".join(f'"{c}"' for c in t.primary_key)
                nn = " and ".join(f'"{c}" is not null' for c in t.primary_key)
                out[t.raw_name] = con.execute(
                    f'select count(*) from (select distinct {k} from {system}."{t.name}" where {nn})'
                ).fetchone()[0]
        return out
    finally:
        con.close()


def assert_raw_clean(state: dict[str, object], reference: dict[str, object], sources: dict[str, int]) -> None:
    problems = {
        k: v
        for k, v in state.items()
        if (k.endswith(":repeated_versions") or k.endswith(">1") or k.endswith(":repeated_lines")) and v
    }
    assert not problems, f"duplicates in raw: {problems}"
    assert state["tables"] == reference["tables"]
    for raw, n in sources.items():
        assert len(state[f"{raw}:current"]) == n, (
            f"raw.{raw}: {len(state[f'{raw}:current'])} current versions, source has {n} keys"
        )
    for key, value in reference.items():
        if key.endswith(":current") or key.endswith(":lines"):
            assert state[key] == value, f"{key} differs from the clean run's"


def published_results(settings: Settings) -> dict[str, object]:
    """fct_kpi_values (business columns) and the row count of every published mart."""
    info = pub.current_snapshot(settings)
    assert info is not None
    con = duckdb.connect(str(info.path), read_only=True)
    try:
        kpis = con.execute("""select institution_code, kpi_id, academic_year, fiscal_year, value, numerator,
                              denominator from marts.fct_kpi_values order by all""").fetchall()
        marts = {
            t: con.execute(f'select count(*) from marts."{t}"').fetchone()[0]
            for (t,) in con.execute(
                "select table_name from duckdb_tables() where schema_name = 'marts' order by 1"
            ).fetchall()
        }
        return {"fct_kpi_values": kpis, "marts_row_counts": marts}
    finally:
        con.close()


def assert_results_equal(settings: Settings, reference: Settings) -> None:
    ours, theirs = published_results(settings), published_results(reference)
    assert len(ours["fct_kpi_values"]) > 50
    assert ours["marts_row_counts"] == theirs["marts_row_counts"]
    assert ours["fct_kpi_values"] == theirs["fct_kpi_values"]


@pytest.fixture()
def clean_run(small_pipeline):
    """The uninterrupted run on the same college (session fixture), as the reference."""
    cfg, outcome = small_pipeline
    assert outcome.success, outcome.message
    return load_settings(cfg)


# -------------------------------------------------------------------------------------- test
@pytest.mark.slow
def test_kill_9_during_extract_dbt_and_publish_then_rerun(tmp_path, small_college, payment_server, clean_run):
    cfg, settings = fresh_home(tmp_path, small_college, payment_server.url, seed_from=clean_run)
    seed = pub.current_snapshot(settings)
    assert seed is not None and pub.verify_snapshot(seed)
    reference_raw = raw_state(clean_run.warehouse_path, tmp_path / "scratch-ref")
    sources = source_keys(tmp_path / "college")
    runs: list[CliRun] = []
    timings: dict[str, float] = {}
    try:
        # 1. during extraction (first load into an empty warehouse)
        t0 = time.monotonic()
        run = CliRun(cfg, "run", "--full")
        runs.append(run)
        run.kill_when(lambda r: r.seen("academic.cjxx: reading"), "extraction of academic.cjxx")
        timings["killed in extract"] = time.monotonic() - t0
        assert not run.seen("dbt build"), run.tail()
        assert_serving_intact(settings, seed.name)
        con = _open_copy(settings.warehouse_path, tmp_path / "scratch-1")
        try:
            logged = {
                r[0]
                for r in con.execute("select table_name from raw._load_log where status = 'ok'").fetchall()
            }
        finally:
            con.close()
        assert "xsjbsj" in logged and "cjxx" not in logged, f"not killed mid-extraction: {logged}"
        assert warehouse_holder(settings) is None  # the kernel dropped the run-lock with the process

        # 2. during dbt
        t0 = time.monotonic()
        run = CliRun(cfg, "run", "--full")
        runs.append(run)
        run.kill_when(lambda r: r.seen("dbt: 10 models built"), "ten dbt models were built")
        timings["killed in dbt"] = time.monotonic() - t0
        left_behind = dbt_children(settings)  # the orphaned `dbt build`, if it is still writing
        assert_serving_intact(settings, seed.name)
        assert warehouse_holder(settings) is None

        # 3. during publish (the serving snapshot is being written under its temporary name)
        t0 = time.monotonic()
        run = CliRun(cfg, "run", "--full")
        runs.append(run)
        assert run.wait_until(lambda r: r.seen("extract academic")), run.tail()
        assert not dbt_children(settings), "a killed run's dbt still runs while the next run writes"
        folder = pub.snapshots_dir(settings)
        run.kill_when(
            lambda r: any(p.stat().st_size > 0 for p in folder.glob(".serving_*.duckdb.tmp")),
            "the serving snapshot was being written",
        )
        timings["killed in publish"] = time.monotonic() - t0
        assert run.seen("publish serving snapshot") and not run.seen("succeeded")
        assert not run.seen("STEP_FAILURE"), run.tail()  # e.g. "Could not set lock on file" (orphaned dbt)
        stopped = run.seen("left by a killed run")
        print(f"dbt left running by the kill: {left_behind}; stopped by the next run: {stopped}")
        assert_serving_intact(settings, seed.name)
        assert_raw_clean(raw_state(settings.warehouse_path, tmp_path / "scratch-3"), reference_raw, sources)

        # 4. the rerun completes
        t0 = time.monotonic()
        run = CliRun(cfg, "run", "--full")
        runs.append(run)
        rc = run.finish()
        timings["rerun"] = time.monotonic() - t0
        assert rc == 0, run.tail()
        assert run.seen("snapshot published")
        new = assert_serving_intact(settings, None)
        assert new is not None and new.name != seed.name and new.previous == seed.name
        assert not list(folder.glob(".*")), "the killed publish's temporary file was not cleaned up"
        assert not Path(str(settings.warehouse_path) + ".wal").exists()
        assert_raw_clean(raw_state(settings.warehouse_path, tmp_path / "scratch-4"), reference_raw, sources)
        assert_results_equal(settings, clean_run)
        assert not dbt_children(settings)
    finally:
        for r in runs:
            r.cleanup()
        report = {k: round(v, 1) for k, v in timings.items()}
        print("crash-recovery timings (s):", json.dumps(report))


# ------------------------------------------------------------- what a killed run leaves behind
# the holder takes SIGTERM's default action whatever it inherited: a blocked or ignored SIGTERM
# passes through fork and exec (one fresh-clone CI run saw the holder survive SIGTERM and end by
# the SIGKILL that follows 10 s later)
HOLD = (
    "import duckdb, signal, sys, time; signal.signal(signal.SIGTERM, signal.SIG_DFL);"
    " signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM});"
    " c = duckdb.connect(sys.argv[1]); print('holding', flush=True); time.sleep(120)"
)


def _holder(warehouse: Path, *argv: str, env: dict[str, str] | None = None) -> subprocess.Popen:
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(warehouse), *argv], stdout=subprocess.PIPE, text=True, env=env
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "holding"
    return proc


def test_next_run_stops_an_orphaned_dbt(tmp_path):
    """A ``dbt build`` whose run was killed (it carries the run's CAMPUS_DW_WAREHOUSE) is stopped."""
    from orchestration.pipeline import release_stale_writers
    from orchestration.settings import default_settings_dict, settings_from_dict

    settings = settings_from_dict(default_settings_dict(home=tmp_path / "home"))
    env = {**os.environ, "CAMPUS_DW_WAREHOUSE": str(settings.warehouse_path)}
    orphan = _holder(settings.warehouse_path, "dbt", "build", env=env)
    try:
        said: list[str] = []
        t0 = time.monotonic()
        release_stale_writers(settings, said.append, timeout=20)
        assert time.monotonic() - t0 < 15
        assert orphan.wait(timeout=5) == -signal.SIGTERM
        assert said and f"stopping pid {orphan.pid} left by a killed run" in said[0]
        duckdb.connect(str(settings.warehouse_path)).close()  # the warehouse opens for writing again
    finally:
        if orphan.poll() is None:
            orphan.kill()
            orphan.wait()


def test_next_run_refuses_while_another_process_holds_the_file(tmp_path):
    """Anything else holding DuckDB's lock on the warehouse: wait, then refuse naming it (no traceback)."""
    from orchestration.locking import WarehouseBusyError
    from orchestration.pipeline import release_stale_writers
    from orchestration.settings import default_settings_dict, settings_from_dict

    settings = settings_from_dict(default_settings_dict(home=tmp_path / "home"))
    other = _holder(settings.warehouse_path)
    try:
        with pytest.raises(WarehouseBusyError, match=f"held by another process \\(pid {other.pid}: "):
            release_stale_writers(settings, lambda _m: None, timeout=1)
        assert other.poll() is None  # not ours to stop
    finally:
        other.kill()
        other.wait()
    release_stale_writers(settings, lambda _m: None, timeout=1)  # free again: returns at once
