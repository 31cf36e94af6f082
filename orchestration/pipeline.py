"""The pipeline's steps as plain functions (used by the Dagster assets and by the bare benchmark),
and ``run_pipeline``: one run of a Dagster job, executed in process, under the warehouse lock."""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from orchestration.settings import Settings

Log = Callable[[str], None]

DAGSTER_YAML = """\
# Written by campus-dw.  Telemetry off: a college intranet may block or log outbound traffic.
telemetry:
  enabled: false
concurrency:
  runs:
    max_concurrent_runs: 1    # one writer of the warehouse at a time (queued runs wait)
  pools:
    granularity: run          # the pool "warehouse" holds a whole run
    default_limit: 1
"""


def stderr_log(msg: str) -> None:
    print(f"[campus-dw {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


_PROGRESS: list[Log] = []


def step_logger(context) -> Log:
    """Log to the Dagster run (UI) and, inside ``campus-dw run``, as progress lines on stderr."""

    def log(msg: str) -> None:
        context.log.info(msg)
        for sink in _PROGRESS:
            sink(msg)

    return log


def prepare_dagster_home(settings: Settings) -> Path:
    home = settings.dagster_home
    home.mkdir(parents=True, exist_ok=True)
    cfg = home / "dagster.yaml"
    if not cfg.exists() or cfg.read_text() != DAGSTER_YAML:
        cfg.write_text(DAGSTER_YAML)
    os.environ["DAGSTER_HOME"] = str(home)
    os.environ.setdefault("DAGSTER_DISABLE_TELEMETRY", "true")
    return home


# --------------------------------------------------------------------------------------- steps
@dataclass
class TableResult:
    table: str
    status: str
    message: str = ""
    counts: dict[str, Any] = field(default_factory=dict)

    def metadata(self) -> dict[str, Any]:
        md: dict[str, Any] = {k: v for k, v in self.counts.items() if v is not None}
        if self.message:
            md["message"] = self.message
        return md


def extract_step(
    settings: Settings, *, system: str, mode: str, run_id: str, log: Log = stderr_log
) -> list[TableResult]:
    """Extract one source system into raw; returns one result per raw table (``<system>__<table>``)."""
    from data_contracts.runner import prestart_gx
    from extractors.run import extract_all

    prestart_gx()  # the checks after the extraction need it; its start overlaps the extraction
    log(f"extract {system} ({mode})")

    def progress(sys_name: str, table: str, msg: str) -> None:
        log(f"  {sys_name}.{table}: {msg}")

    report = extract_all(
        settings.warehouse_path, settings, mode=mode, run_id=run_id, systems=[system], progress=progress
    )
    out: list[TableResult] = []
    for t in report.results:
        counts = {
            "rows_read": t.rows_read,
            "rows_landed": t.rows_landed,
            "rows_new_versions": t.rows_new_versions,
            "rows_quarantined": t.rows_quarantined,
            "rows_deleted": t.rows_deleted,
            "duration_s": round(t.duration_s, 3),
        }
        out.append(
            TableResult(
                table=f"{t.system}__{t.table}", status=t.status, message=t.message or "", counts=counts
            )
        )
    return out


def previous_run_was_published(settings: Settings, run_id: str) -> bool:
    """Did the last run before ``run_id`` that landed anything publish a snapshot (so its rows were checked)?"""
    from extractors.duckdb_setup import connect
    from orchestration.publish import current_snapshot

    current = current_snapshot(settings)
    if current is None or not settings.warehouse_path.exists():
        return False
    con = connect(settings.warehouse_path, read_only=True)
    try:
        row = con.execute(
            "select run_id from raw._load_log where run_id <> ? group by run_id "
            "order by max(finished_at) desc limit 1",
            [run_id],
        ).fetchone()
    finally:
        con.close()
    return row is None or row[0] == current.run_id


COMPLETE_MARKER = "last_complete_run.json"


def complete_marker(settings: Settings) -> Path:
    """Present only while the warehouse holds the result of a run that completed (and published)."""
    return settings.warehouse_path.parent / COMPLETE_MARKER


def quality_step(
    settings: Settings,
    *,
    run_id: str,
    raw_tables: list[str] | None = None,
    changed_only: bool = True,
    log: Log = stderr_log,
):
    """Validate what this run landed against the data contracts; results go to schema ``quality``."""
    from data_contracts.data_docs import results_dir
    from data_contracts.loader import load_contracts
    from data_contracts.runner import run_checks

    contracts = load_contracts()
    wanted = None
    if raw_tables is not None:
        wanted = [key for key, c in contracts.items() if c.raw_name in set(raw_tables)]
    if changed_only and not previous_run_was_published(settings, run_id):
        # rows landed by a run that died before its checks (or its publish) were never validated:
        # check every current version, not only what this run changed
        changed_only = False
        log("the previous run did not publish: checking every current row, not only this run's changes")
    log("data-contract checks (Great Expectations)")

    def progress(system: str, table: str, msg: str) -> None:
        log(f"  check {system}.{table}: {msg}")

    report = run_checks(
        settings.warehouse_path,
        run_id,
        tables=wanted,
        changed_only=changed_only,
        progress=progress,
        gx_results_dir=results_dir(settings.quality_dir, run_id),
    )
    log(report.summary().splitlines()[0])
    return report


def mart_quality_step(
    settings: Settings, *, run_id: str, marts: list[str] | None = None, log: Log = stderr_log
):
    """Validate the built marts against their contracts (data_contracts/marts/); system ``marts``."""
    from data_contracts.data_docs import results_dir
    from data_contracts.runner import run_mart_checks

    log("mart contract checks (Great Expectations)")

    def progress(system: str, table: str, msg: str) -> None:
        log(f"  check {system}.{table}: {msg}")

    report = run_mart_checks(
        settings.warehouse_path,
        run_id,
        marts=marts,
        progress=progress,
        gx_results_dir=results_dir(settings.quality_dir, run_id),
    )
    log(report.summary().splitlines()[0])
    return report


def data_docs_step(settings: Settings, *, run_id: str, log: Log = stderr_log) -> dict[str, Any]:
    """Build the run's GX Data Docs and prune old ones (kept: runs with a kept quality snapshot and
    the newest ``publish.keep_snapshots`` sites). Called after the publish, or by a check step whose
    blocking failure stops the run. Never raises: the docs are a report."""
    from data_contracts.data_docs import build_run_docs, prune
    from data_contracts.runner import run_with_gx
    from orchestration.publish import QUALITY, list_snapshots

    log("GX Data Docs")
    try:
        # in the process where the run's checks ran GX (imported there already)
        info = run_with_gx(build_run_docs, settings.quality_dir, run_id)
    except Exception as exc:
        log(f"Data Docs not built: {exc}")
        return {"error": str(exc)[:500]}
    keep = {s.run_id for s in list_snapshots(settings, QUALITY)} | {run_id}
    info["pruned"] = len(prune(settings.quality_dir, keep, keep_newest=settings.publish.keep_snapshots))
    log(f"  Data Docs: {info['index']} ({info['pages']} pages, {info['seconds']} s)")
    return info


def blocked_run_reports(settings: Settings, *, run_id: str, log: Log = stderr_log) -> None:
    """A blocking check failed, so nothing reaches the serving snapshot.  The stewards still get the
    run's report: its quality snapshot (the failed rules and their failing rows) is published, so
    the Data quality page and ``campus-dw quality`` show what blocked the run, and its Data Docs are
    built.  The serving pointer is not touched.  Never raises: these are reports."""
    from orchestration.publish import publish_quality

    try:
        quality = publish_quality(settings, run_id)
        log(f"quality snapshot {quality.snapshot.name} published for the blocked run (serving unchanged)")
    except Exception as exc:
        log(f"quality snapshot of the blocked run not published: {exc}")
    data_docs_step(settings, run_id=run_id, log=log)


def dbt_build_step(settings: Settings, log: Log = stderr_log) -> None:
    """``dbt build`` without Dagster (the bare benchmark and a fallback)."""
    from dbt.cli.main import dbtRunner

    from orchestration.dbt_invoke import BUILD_ARGS, DBT_PROJECT_DIR, apply_env, dbt_args

    apply_env(settings)
    log("dbt build")
    res = dbtRunner().invoke(
        dbt_args(
            settings,
            *BUILD_ARGS,
            "--project-dir",
            str(DBT_PROJECT_DIR),
            "--profiles-dir",
            str(DBT_PROJECT_DIR),
            "--quiet",
        )
    )
    if not res.success:
        raise RuntimeError(f"dbt build failed: {res.exception or f'see {settings.dbt_target_dir}/dbt.log'}")


def publish_step(settings: Settings, *, run_id: str, log: Log = stderr_log) -> dict[str, Any]:
    from orchestration.dbt_invoke import MANIFEST_PATH
    from orchestration.publish import publish_quality, publish_serving

    log("publish serving snapshot")
    serving = publish_serving(settings, run_id, manifest_path=MANIFEST_PATH)
    log("publish quality snapshot")
    quality = publish_quality(settings, run_id)
    for warning in serving.warnings:
        log(f"publish warning: {warning}")
    return {
        "serving_snapshot": serving.snapshot.name,
        "serving_checksum": serving.checksum,
        "serving_tables": len(serving.tables),
        "quality_snapshot": quality.snapshot.name,
        "publish_duration_s": round(serving.duration_s + quality.duration_s, 2),
    }


# ----------------------------------------------------------------------------------------- run
def export_settings_env(settings: Settings) -> None:
    """Make the Dagster resources (which load the configuration themselves) see these settings."""
    if settings.config_origin is not None:
        os.environ["CAMPUS_DW_CONFIG"] = str(settings.config_origin)
    else:
        os.environ.pop("CAMPUS_DW_CONFIG", None)
        os.environ["CAMPUS_DW_HOME"] = str(settings.home_dir)
        if settings.demo is not None:
            os.environ["CAMPUS_DW_DEMO_SCALE"] = settings.demo.scale


@dataclass
class RunOutcome:
    success: bool
    run_id: str
    job: str
    duration_s: float
    failed_steps: list[str]
    message: str = ""
    check_evaluations: int = 0
    failed_checks: list[str] = field(default_factory=list)
    materialized: list[str] = field(default_factory=list)  # asset keys the run materialized


RUN_SYSTEMS = ("academic", "hr", "finance", "payment")


def job_name_for(mode: str, system: str | None, *, previous_run_complete: bool = True) -> str:
    """Pick the Dagster job for ``campus-dw run`` options (pure helper).

    ``--system X`` runs the job ``X_only``: X's extraction and only what depends on it downstream
    (dbt models and tests, checks, publish).  It builds on the marts of the last complete run; when
    the warehouse holds none (the first run, or the last run failed, so other marts may be half
    built) the whole graph runs instead: X in the given mode, the other systems incrementally."""
    if system not in (None, "all", *RUN_SYSTEMS):
        raise ValueError(f"--system must be one of academic, hr, finance, payment, all; not {system!r}")
    if system in RUN_SYSTEMS:
        return f"{system}_only" if previous_run_complete else "incremental_refresh"
    return "full_refresh" if mode == "full" else "incremental_refresh"


def _pid_environ(pid: int) -> dict[str, str]:
    try:
        raw = Path(f"/proc/{pid}/environ").read_bytes()
    except OSError:
        return {}
    out = {}
    for item in raw.split(b"\0"):
        key, sep, value = item.partition(b"=")
        if sep:
            out[key.decode(errors="replace")] = value.decode(errors="replace")
    return out


def _pid_cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return ""


def _pid_alive(pid: int) -> bool:
    """True for a running process (a zombie left for an absent reaper counts as gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[:1] not in (["Z"], ["X"])


def _warehouse_file_holders(path: Path) -> list[int]:
    """Other processes holding DuckDB's (POSIX) lock on the warehouse file, from /proc/locks (Linux).

    Read-only on purpose: probing with ``fcntl.lockf`` and closing the probe would drop any POSIX
    lock this process itself holds on the file."""
    try:
        st = path.stat()
        text = Path("/proc/locks").read_text()
    except OSError:
        return []
    file_id = f"{os.major(st.st_dev):02x}:{os.minor(st.st_dev):02x}:{st.st_ino}"
    pids = set()
    for line in text.splitlines():
        parts = line.split()
        # "12: POSIX  ADVISORY  WRITE 8071 fe:00:2195882 0 EOF" (waiters have "->" after the number)
        if len(parts) >= 6 and parts[1] == "POSIX" and parts[5] == file_id and parts[4].isdigit():
            pids.add(int(parts[4]))
    pids.discard(os.getpid())
    return sorted(pids)


def _orphaned_dbt(warehouse: Path) -> list[int]:
    """dbt processes started by a run on this warehouse (they inherit ``CAMPUS_DW_WAREHOUSE``).

    Called while holding the run-lock: the run that started them is gone (``kill -9`` of
    ``campus-dw run`` does not stop its ``dbt build`` child, which goes on writing the warehouse)."""
    proc = Path("/proc")
    if not proc.is_dir():
        return []
    found = []
    for entry in proc.iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        pid = int(entry.name)
        if _pid_environ(pid).get("CAMPUS_DW_WAREHOUSE") == str(warehouse) and "dbt" in _pid_cmdline(pid):
            found.append(pid)
    return found


def release_stale_writers(settings: Settings, log: Log = stderr_log, *, timeout: float = 30.0) -> None:
    """Before a run writes: stop what a killed run left writing the warehouse, or refuse clearly.

    Must be called while holding the run-lock.  An orphaned ``dbt build`` of a killed run is
    stopped (SIGTERM, then SIGKILL); any other process holding DuckDB's lock on the file is
    waited for up to ``timeout`` seconds, then the run is refused with its pid and command line
    (instead of every extraction step failing on DuckDB's "Could not set lock on file")."""
    import signal

    from orchestration.locking import WarehouseBusyError

    warehouse = settings.warehouse_path
    deadline = time.monotonic() + timeout
    signalled: dict[int, float] = {}
    while True:
        for pid in _orphaned_dbt(warehouse):
            sent = signalled.get(pid)
            with contextlib.suppress(ProcessLookupError, PermissionError):
                if sent is None:
                    log(
                        f"stopping pid {pid} left by a killed run, still writing the warehouse: "
                        f"{_pid_cmdline(pid)[:120]}"
                    )
                    os.kill(pid, signal.SIGTERM)
                    signalled[pid] = time.monotonic()
                elif time.monotonic() - sent > 10:
                    os.kill(pid, signal.SIGKILL)
        holders = _warehouse_file_holders(warehouse)
        if not holders and not any(_pid_alive(p) for p in signalled):
            return
        if time.monotonic() > deadline:
            who = "; ".join(f"pid {p}: {_pid_cmdline(p)[:160] or '?'}" for p in holders or signalled)
            raise WarehouseBusyError(
                f"the warehouse file {warehouse} is held by another process ({who}); "
                "nothing but campus-dw run may write it: stop that process and retry"
            )
        time.sleep(0.2)


def run_pipeline(
    settings: Settings, *, mode: str = "incremental", system: str | None = None, log: Log = stderr_log
) -> RunOutcome:
    """Run one pipeline job in process, holding the warehouse lock for the whole run."""
    prepare_dagster_home(settings)
    export_settings_env(settings)
    from orchestration.locking import warehouse_lock

    t0 = time.monotonic()
    with warehouse_lock(settings, timeout=5):
        release_stale_writers(settings, log)
        import dagster as dg

        from orchestration.definitions import defs, extract_run_config

        definitions = defs() if callable(defs) else defs
        previous_complete = complete_marker(settings).exists()
        name = job_name_for(mode, system, previous_run_complete=previous_complete)
        if system in RUN_SYSTEMS and not previous_complete:
            log(
                f"the warehouse holds no complete run yet (first run, or the last one failed): running the"
                f" whole graph, {system} in mode {mode} and the other systems incrementally"
            )
        job = definitions.get_job_def(name)
        run_config: dict[str, Any] = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
        # each system has a job of its own (X_only: X's assets and what depends on them); the run
        # config gives that system's extract op the mode (the whole-graph fallback: only that op)
        run_config.update(extract_run_config(mode, [system] if system not in (None, "all") else None))
        instance = dg.DagsterInstance.get()
        log_dir = settings.home_dir / "logs"
        log_dir.mkdir(parents=True, exist_ok=True)
        log_file = log_dir / f"run-{time.strftime('%Y%m%dT%H%M%S')}-{name}.log"
        log(f"run {name} (mode {mode}); detailed log: {log_file}")
        _PROGRESS.append(log)
        complete_marker(settings).unlink(missing_ok=True)
        try:
            with open(log_file, "w", encoding="utf-8") as fh, contextlib.redirect_stdout(fh):
                result = job.execute_in_process(
                    run_config=run_config, instance=instance, raise_on_error=False
                )
        finally:
            _PROGRESS.remove(log)
        failed = [ev.step_key for ev in result.all_events if ev.event_type_value == "STEP_FAILURE"]
        message = ""
        for ev in result.all_events:
            if ev.event_type_value == "STEP_FAILURE" and ev.event_specific_data is not None:
                err = getattr(ev.event_specific_data, "error", None)
                if err is not None:
                    message += (
                        f"{ev.step_key}: {err.message.strip().splitlines()[0] if err.message else ''}\n"
                    )
        checks = [ev for ev in result.all_events if ev.event_type_value == "ASSET_CHECK_EVALUATION"]
        failed_checks = [
            f"{ev.event_specific_data.asset_key.to_user_string()}:{ev.event_specific_data.check_name}"
            f" ({ev.event_specific_data.severity.value})"
            for ev in checks
            if not ev.event_specific_data.passed
        ]
        errors = [c for c in failed_checks if c.endswith("(ERROR)")]
        published = any(
            ev.event_type_value == "ASSET_MATERIALIZATION"
            and ev.asset_key is not None
            and ev.asset_key.path == ["serving", "snapshot"]
            for ev in result.all_events
        )
        success = result.success and published
        if result.success and not published:
            message = (
                "blocking checks failed, so nothing was published: "
                + ", ".join(errors or ["(see the Dagster run)"])
                + "\n"
                + message
            )
        if success:
            import json

            complete_marker(settings).write_text(
                json.dumps(
                    {
                        "run_id": result.run_id,
                        "job": name,
                        "finished_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                    }
                )
            )
        return RunOutcome(
            success=success,
            run_id=result.run_id,
            job=name,
            duration_s=time.monotonic() - t0,
            failed_steps=failed,
            message=message.strip(),
            check_evaluations=len(checks),
            failed_checks=failed_checks,
            materialized=sorted(
                {
                    ev.asset_key.to_user_string()
                    for ev in result.all_events
                    if ev.event_type_value == "ASSET_MATERIALIZATION" and ev.asset_key is not None
                }
            ),
        )
