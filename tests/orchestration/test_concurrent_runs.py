"""Two real ``campus-dw run`` processes at once (issue 5): the second is refused, nothing is corrupted.

Run A (``run --full``) writes a fresh warehouse.  While A extracts, a second ``run --full`` is
started; while A's dbt builds, a ``run`` (incremental) and a manual ``campus-dw publish`` are
started.  Each is refused (exit code 2) with a message naming A's pid, within a few seconds, and
writes nothing.  A then completes, and its published indicators, marts and raw layer equal the
clean run's (the ``small_pipeline`` fixture).
"""

from __future__ import annotations

import time

import pytest

from orchestration import publish as pub
from orchestration.locking import warehouse_holder
from tests.orchestration.test_crash_recovery import (
    CliRun,
    assert_raw_clean,
    assert_results_equal,
    assert_serving_intact,
    fresh_home,
    raw_state,
    source_keys,
)

pytestmark = pytest.mark.slow


def _refused(second: CliRun, first: CliRun) -> float:
    t0 = time.monotonic()
    rc = second.finish(timeout=300)
    took = time.monotonic() - t0
    assert rc == 2, second.tail()
    msg = "\n".join(second.lines)
    assert f"campus-dw: another run is writing the warehouse (pid {first.proc.pid}," in msg, msg
    assert "wait for it to finish" in msg and "Traceback" not in msg
    assert first.proc.poll() is None, "the first run stopped while the second was refused"
    return took


def test_second_run_is_refused_while_one_writes(tmp_path, small_college, payment_server, small_pipeline):
    ref_cfg, outcome = small_pipeline
    assert outcome.success, outcome.message
    from orchestration.settings import load_settings

    reference = load_settings(ref_cfg)
    cfg, settings = fresh_home(tmp_path, small_college, payment_server.url)
    runs: list[CliRun] = []
    try:
        first = CliRun(cfg, "run", "--full")
        runs.append(first)
        assert first.wait_until(lambda r: r.seen("extract academic")), first.tail()
        holder = warehouse_holder(settings)
        assert holder is not None and holder["pid"] == first.proc.pid

        second = CliRun(cfg, "run", "--full")  # while A extracts
        runs.append(second)
        took = _refused(second, first)
        assert not second.seen("extract academic") and not second.seen("run full_refresh")

        assert first.wait_until(lambda r: r.seen("dbt build")), first.tail()
        third = CliRun(cfg, "run")  # while A's dbt builds
        runs.append(third)
        _refused(third, first)
        manual = CliRun(cfg, "publish")  # a manual publish would publish a half-built warehouse
        runs.append(manual)
        _refused(manual, first)
        assert pub.current_snapshot(settings) is None  # nothing published meanwhile

        assert first.finish() == 0, first.tail()
        assert not first.seen("STEP_FAILURE"), first.tail()
        print(f"second run refused after {took:.1f} s")
    finally:
        for r in runs:
            r.cleanup()
    assert warehouse_holder(settings) is None
    assert_serving_intact(settings, None)
    assert [s.name for s in pub.list_snapshots(settings)] == [pub.current_snapshot(settings).name]
    assert_raw_clean(
        raw_state(settings.warehouse_path, tmp_path / "scratch"),
        raw_state(reference.warehouse_path, tmp_path / "scratch-ref"),
        source_keys(tmp_path / "college"),
    )
    assert_results_equal(settings, reference)
