"""Fixtures for the demo-college tests.

``small_college`` (seed 20251, default defect rate 0.01, SQLite) comes from tests/conftest.py;
the tests here rely on exactly those parameters (test_deterministic regenerates with them).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def small_manifest(small_college: Path) -> list[dict]:
    return json.loads((small_college / "manifest.json").read_text(encoding="utf-8"))
