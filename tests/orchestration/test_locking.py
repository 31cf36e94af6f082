"""The run-lock: one writer of the warehouse at a time, clear refusal for a second one."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from orchestration.locking import (
    WarehouseBusyError,
    lock_path,
    warehouse_holder,
    warehouse_lock,
    warehouse_read_lock,
)
from orchestration.settings import PROJECT_ROOT, default_settings_dict, settings_from_dict

HOLDER = """
import sys, time
from pathlib import Path
from orchestration.locking import warehouse_lock
from orchestration.settings import default_settings_dict, settings_from_dict
s = settings_from_dict(default_settings_dict(home=Path(sys.argv[1])))
with warehouse_lock(s):
    print("locked", flush=True)
    time.sleep(float(sys.argv[2]))
print("released", flush=True)
"""


@pytest.fixture()
def settings(tmp_path):
    return settings_from_dict(default_settings_dict(home=tmp_path / "home"))


def hold(settings, seconds: float = 60) -> subprocess.Popen:
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(settings.home_dir), str(seconds)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=PROJECT_ROOT,
    )
    assert proc.stdout.readline().strip() == "locked"
    return proc


def test_second_holder_is_refused_with_pid(settings):
    proc = hold(settings)
    try:
        with (
            pytest.raises(
                WarehouseBusyError,
                match=rf"another run is writing the warehouse \(pid {proc.pid}, "
                r"started at \d{4}-\d\d-\d\dT",
            ),
            warehouse_lock(settings),
        ):
            pass
        with pytest.raises(WarehouseBusyError), warehouse_read_lock(settings):
            pass
        assert warehouse_holder(settings)["pid"] == proc.pid
    finally:
        proc.send_signal(signal.SIGKILL)  # kill -9: the kernel releases the flock
        proc.wait()
    with warehouse_lock(settings):
        info = json.loads(lock_path(settings).read_text())
        assert info["pid"] != proc.pid and info["purpose"] == "run"
    assert lock_path(settings).read_text() == ""  # emptied on release
    assert warehouse_holder(settings) is None


def test_same_process_second_holder_refused(settings):
    with (
        warehouse_lock(settings),
        pytest.raises(WarehouseBusyError, match="another run is writing"),
        warehouse_lock(settings),
    ):
        pass
    with warehouse_lock(settings):
        pass


def test_timeout_waits_for_release(settings):
    proc = hold(settings, seconds=0.5)
    try:
        t0 = time.monotonic()
        with warehouse_lock(settings, timeout=20):
            assert time.monotonic() - t0 < 15
    finally:
        proc.kill()
        proc.wait()


def test_readers_share_and_block_writer(settings):
    with warehouse_read_lock(settings), warehouse_read_lock(settings):
        result: list[BaseException | None] = []

        def try_write():
            try:
                with warehouse_lock(settings):
                    result.append(None)
            except WarehouseBusyError as exc:
                result.append(exc)

        t = threading.Thread(target=try_write)
        t.start()
        t.join()
        assert isinstance(result[0], WarehouseBusyError)
        assert "held by a reader" in str(result[0])


def test_lock_file_location(settings):
    assert lock_path(settings) == settings.home_dir / "warehouse" / ".lock"
    with warehouse_lock(settings) as p:
        assert Path(p).exists()
