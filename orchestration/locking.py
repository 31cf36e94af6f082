"""The run-lock: one writer of the working warehouse at a time.

``warehouse_lock(settings)`` takes an exclusive ``fcntl.flock`` on
``<home>/warehouse/.lock`` for the whole run and writes the holder's pid, start time and
purpose into the file, so a second run started meanwhile is refused with a message that
says who holds the warehouse.  The lock is released by the kernel when the holder exits,
even after ``kill -9``: a stale lock file never blocks the next run.

``warehouse_read_lock(settings)`` takes the same lock *shared* for a short read (``campus-dw
status`` reading ``raw._load_log``), so a reader never makes a starting run fail on DuckDB's
own file lock: the run gets a clear :class:`WarehouseBusyError` instead (or waits, with
``timeout``).

``file_lock(path, what)`` is the generic helper (the publisher serialises publishes with it).

flock locks belong to an open file description: code that already holds the run-lock must not
take it again in the same process (it would refuse itself).  Plain Python, no Dagster imports.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from orchestration.settings import Settings

LOCK_NAME = ".lock"


class WarehouseBusyError(RuntimeError):
    """Another process holds the lock (a run is writing the warehouse, or a publish is running)."""


def lock_path(settings: Settings) -> Path:
    return settings.home_dir / "warehouse" / LOCK_NAME


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def read_lock_info(path: Path) -> dict[str, Any] | None:
    """What the current (or last) exclusive holder wrote into the lock file, or None."""
    try:
        text = path.read_text(encoding="utf-8").strip()
    except OSError:
        return None
    if not text:
        return None
    try:
        info = json.loads(text)
    except ValueError:
        return None
    return info if isinstance(info, dict) else None


def _busy_message(path: Path, what: str) -> str:
    info = read_lock_info(path)
    pid = info.get("pid") if info else None
    if isinstance(pid, int) and _pid_alive(pid):
        purpose = info.get("purpose", "run") if info else "run"
        return (
            f"another {purpose} is writing the {what} (pid {pid}, started at {info.get('started_at')}, "
            f"host {info.get('host', '?')}); wait for it to finish (campus-dw status shows it) and retry. "
            f"Lock file: {path}"
        )
    return (
        f"the {what} is briefly held by a reader (for example campus-dw status or publish); "
        f"retry in a moment. Lock file: {path}"
    )


def _acquire(fd: int, flags: int, timeout: float) -> bool:
    deadline = time.monotonic() + max(0.0, timeout)
    while True:
        try:
            fcntl.flock(fd, flags | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.05)


@contextlib.contextmanager
def file_lock(
    path: Path, what: str = "warehouse", *, shared: bool = False, timeout: float = 0.0, purpose: str = "run"
) -> Iterator[Path]:
    """Hold an flock on ``path`` (created if missing) for the ``with`` block.

    Non-blocking by default: if another process holds it, raise :class:`WarehouseBusyError`
    naming the holder.  ``timeout`` > 0 retries for that many seconds first.  An exclusive
    holder writes ``{"pid", "started_at", "purpose", "host"}`` into the file and empties it on
    release (an empty file while the lock is held means a shared reader holds it).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        flags = fcntl.LOCK_SH if shared else fcntl.LOCK_EX
        if not _acquire(fd, flags, timeout):
            raise WarehouseBusyError(_busy_message(path, what))
        try:
            if not shared:
                info = {
                    "pid": os.getpid(),
                    "started_at": datetime.now().astimezone().isoformat(timespec="seconds"),
                    "purpose": purpose,
                    "host": os.uname().nodename,
                }
                os.ftruncate(fd, 0)
                os.pwrite(fd, (json.dumps(info) + "\n").encode(), 0)
                os.fsync(fd)
            yield path
        finally:
            if not shared:
                with contextlib.suppress(OSError):
                    os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


@contextlib.contextmanager
def warehouse_lock(settings: Settings, *, timeout: float = 0.0, purpose: str = "run") -> Iterator[Path]:
    """Exclusive run-lock on the working warehouse (see module docstring).

    Raises :class:`WarehouseBusyError` ("another run is writing the warehouse (pid N, started at
    T) ...") when another process holds it and ``timeout`` has passed.
    """
    with file_lock(lock_path(settings), "warehouse", timeout=timeout, purpose=purpose) as p:
        yield p


@contextlib.contextmanager
def warehouse_read_lock(settings: Settings, *, timeout: float = 0.0) -> Iterator[Path]:
    """Shared lock for a short read of the working warehouse; raises WarehouseBusyError while a run writes."""
    with file_lock(lock_path(settings), "warehouse", shared=True, timeout=timeout) as p:
        yield p


def warehouse_holder(settings: Settings) -> dict[str, Any] | None:
    """The live exclusive holder of the run-lock (pid, started_at, purpose), or None if nobody writes."""
    path = lock_path(settings)
    if not path.exists():
        return None
    fd = os.open(path, os.O_RDONLY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            info = read_lock_info(path)
            if info and isinstance(info.get("pid"), int) and _pid_alive(info["pid"]):
                return info
            return {"pid": None, "started_at": None, "purpose": "unknown"}
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)
