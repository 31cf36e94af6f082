"""What the app shell hands each page: language, chosen years, settings, reader, pinned snapshot.

The shell sets the context for exactly the duration of ``page.run()`` (thread-local: every
session runs its script in its own thread), so a page can tell whether the shell is running it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from dashboards.queries import SnapshotInfo
from orchestration.settings import Settings

T = TypeVar("T")


class ContextSlot(Generic[T]):
    """A thread-local slot the shell fills for the duration of one page run."""

    def __init__(self, what: str) -> None:
        self._local = threading.local()
        self._what = what

    @contextmanager
    def use(self, ctx: T) -> Iterator[T]:
        previous = getattr(self._local, "ctx", None)
        self._local.ctx = ctx
        try:
            yield ctx
        finally:
            self._local.ctx = previous

    def present(self) -> bool:
        return getattr(self._local, "ctx", None) is not None

    def get(self) -> T:
        ctx = getattr(self._local, "ctx", None)
        if ctx is None:
            raise RuntimeError(f"{self._what} run outside the app shell (dashboards/app.py)")
        return ctx


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


_pages: ContextSlot[PageContext] = ContextSlot("page")


def page_context(ctx: PageContext):
    """Context manager: ``ctx`` is the page's context while the block runs."""
    return _pages.use(ctx)


def has_context() -> bool:
    return _pages.present()


def get_context() -> PageContext:
    """The context the shell set for this run; a page run without the shell is a programming error."""
    return _pages.get()
