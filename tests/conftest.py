"""Shared fixtures: the small demo college (generated once per session) and one pipeline run on it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

TOKEN = "test-token"

# raw's ``_row_hash`` (UHUGEINT) as two UBIGINTs, for tests that compare it outside SQL: DuckDB
# 1.5.5 turns a UHUGEINT into text or a Python int at ~150 us per value (93,000 grade rows: 14 s),
# the two halves in 0.2 s.  Same information, same order.
ROW_HASH_PAIR = "[(_row_hash >> 64)::UBIGINT, (_row_hash & 18446744073709551615::UHUGEINT)::UBIGINT]"


def pytest_collection_modifyitems(config, items):
    """Files with slow or browser tests first (their order kept), then the rest: with several
    workers (``make test``: pytest-xdist, one file per worker at a time) the long files start early
    instead of being left for the end on one worker."""
    heavy = {
        item.path for item in items if item.get_closest_marker("slow") or item.get_closest_marker("browser")
    }
    items.sort(key=lambda item: item.path not in heavy)  # stable: the order inside each group stays


@pytest.fixture(scope="session")
def small_college(tmp_path_factory) -> Path:
    """The small demo college with the default defect rate, generated once (SQLite target)."""
    from demo_college.generate import generate_college

    out = tmp_path_factory.mktemp("college") / "small"
    generate_college("small", out, seed=20251, target="sqlite")
    return out


def write_config(home: Path, college: Path, payment_url: str) -> Path:
    cfg = home / "campus-dw.yml"
    cfg.write_text(
        f"""home: {home}
sources:
  academic: {{type: sqlite, path: {college / "academic.sqlite"}}}
  hr: {{type: sqlite, path: {college / "hr.sqlite"}}}
  finance: {{inbox: {college / "finance_inbox"}}}
  payment: {{base_url: "{payment_url}", token_env: CAMPUS_DW_TEST_PAYMENT_TOKEN, page_size: 1000}}
""",
        encoding="utf-8",
    )
    return cfg


@pytest.fixture(scope="session")
def payment_server(small_college):
    from demo_college.payment_server import PaymentServer

    os.environ["CAMPUS_DW_TEST_PAYMENT_TOKEN"] = TOKEN
    server = PaymentServer(small_college / "payment" / "bills.jsonl", port=0, token=TOKEN)
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def small_pipeline(tmp_path_factory, small_college, payment_server):
    """One full pipeline run (Dagster job, in process) on the small college; yields (config path, outcome)."""
    from orchestration.pipeline import run_pipeline
    from orchestration.settings import load_settings

    home = tmp_path_factory.mktemp("home")
    cfg = write_config(home, small_college, payment_server.url)
    settings = load_settings(cfg)
    outcome = run_pipeline(settings, mode="full", log=lambda _m: None)
    return cfg, outcome
