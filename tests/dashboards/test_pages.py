"""Students (学生), Faculty (师资) and Finance (财务) pages, rendered with AppTest against a fake
serving snapshot holding the published aggregates (tests/dashboards/aggregates.py)."""

from __future__ import annotations

import glob
from decimal import Decimal
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.dashboards.aggregates import add_aggregates
from tests.dashboards.test_app import (  # noqa: F401  (home is a fixture)
    APP,
    SPECIAL,
    TIMEOUT,
    YEARS,
    Y,
    _default_value,
    all_text,
    assert_clean,
    build_snapshot,
    home,
    db_values,
    metrics_by_label,
)

from dashboards.catalog import KPIS

PAGES = ("students", "faculty", "finance")


def kpi_map() -> dict[tuple[str, int], Decimal | None]:
    return {
        (spec.id, year): SPECIAL.get((spec.id, year), _default_value(spec.id, spec.kind, year))
        for spec in KPIS
        for year in YEARS
    }


def snapshot_with_aggregates(home: Path) -> Path:
    build_snapshot(home)
    (path,) = glob.glob(str(home / "serving" / "snapshots" / "*.duckdb"))
    add_aggregates(Path(path), kpi_map(), YEARS)
    return Path(path)


def open_page(page: str, **query) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    for k, v in query.items():
        at.query_params[k] = v
    at.run()
    at.switch_page(f"pages/{page}.py")
    return at.run()


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_page_renders(home: Path, page: str, lang: str) -> None:
    snapshot_with_aggregates(home)
    at = open_page(page, lang=lang)
    assert_clean(at)
    assert not at.error, [e.value for e in at.error]
    print(at.title[0].value, [m.label + "=" + m.value for m in at.main.metric])
