"""What the app shell hands each page: language, chosen years, settings, reader, pinned snapshot.

The shell sets the context for exactly the duration of ``page.run()`` (thread-local: every
session runs its script in its own thread), so a page can tell whether the shell is running it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from dashboards.queries import SnapshotInfo
from orchestration.settings import Settings

_local = threading.local()


@dataclass(frozen=True)
class PageContext:
    lang: str
    settings: Settings
    reader: Any  # dashboards.snapshot.SnapshotReader
    snapshot: SnapshotInfo
    academic_year: int
    fiscal_year: int
    unit_code: str | None = None  # the sidebar's unit filter (None: the whole college)
    unit_name: str | None = None


@contextmanager
def page_context(ctx: PageContext) -> Iterator[PageContext]:
    previous = getattr(_local, "ctx", None)
    _local.ctx = ctx
    try:
        yield ctx
    finally:
        _local.ctx = previous


def has_context() -> bool:
    return getattr(_local, "ctx", None) is not None


def get_context() -> PageContext:
    """The context the shell set for this run; a page run without the shell is a programming error."""
    ctx = getattr(_local, "ctx", None)
    if ctx is None:
        raise RuntimeError("page run outside the app shell (dashboards/app.py)")
    return ctx
