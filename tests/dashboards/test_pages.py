"""Students (学生), Faculty (师资) and Finance (财务) pages, rendered with AppTest against a fake
serving snapshot holding the published aggregates (tests/dashboards/aggregates.py)."""

from __future__ import annotations

import glob
from decimal import Decimal
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dashboards.catalog import KPIS
from tests.dashboards.aggregates import add_aggregates
from tests.dashboards.test_app import (
    APP,
    SPECIAL,
    TIMEOUT,
    YEARS,
    Y,
    _default_value,
    all_text,
    assert_clean,
    build_snapshot,
    db_values,
    metrics_by_label,
    write_config,
)

PAGES = ("students", "faculty", "finance")


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("CAMPUS_DW_CONFIG", str(write_config(tmp_path, home)))
    monkeypatch.delenv("CAMPUS_DW_HOME", raising=False)
    return home


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


def snapshot_sum(sql: str, params: list | None = None):
    """One number from the published snapshot, read through the snapshot reader."""
    from dashboards.snapshot import SnapshotReader
    from orchestration.settings import load_settings

    with SnapshotReader(load_settings()) as reader:
        return reader.query(sql, params or []).column(0).to_pylist()[0]


def metrics(at: AppTest) -> dict[str, str]:
    return {label: ms[0].value for label, ms in metrics_by_label(at).items()}


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_page_renders(home: Path, page: str, lang: str) -> None:
    snapshot_with_aggregates(home)
    at = open_page(page, lang=lang)
    assert_clean(at)
    assert not at.error, [e.value for e in at.error]
    title = {
        "students": ("学生", "Students"),
        "faculty": ("师资", "Faculty"),
        "finance": ("财务", "Finance"),
    }[page]
    assert at.title[0].value == title[0 if lang == "zh" else 1]
    keys = {b.key for b in at.download_button}
    csv = {k for k in keys if k.startswith("dl_csv_")}
    assert len(csv) >= 4 and {k.replace("dl_csv_", "dl_xlsx_") for k in csv} <= keys
    assert not any("agg_" in i.value for i in at.info), "no aggregate may be reported missing"


def test_students_numbers_equal_snapshot(home: Path) -> None:
    snapshot_with_aggregates(home)
    at = open_page("students")
    assert_clean(at)
    shown = metrics(at)
    head = snapshot_sum("select sum(headcount) from marts.agg_student_census where academic_year = ?", [Y])
    kpi = db_values(home, Y, Y)["registered_students"]
    assert head == kpi == Decimal("12345")
    assert shown["在校生数"] == f"{head:,}"
    full = snapshot_sum(
        "select sum(headcount) from marts.agg_student_census where academic_year = ? and study_mode_code = '1'",
        [Y],
    )
    assert shown["全日制在校生数"] == f"{full:,}"
    attempts, passes = (
        snapshot_sum(f"select sum({c}) from marts.agg_pass_rates where academic_year = ?", [Y])
        for c in ("attempts", "passes")
    )
    assert shown["课程首考通过率"] == f"{Decimal(passes) / Decimal(attempts) * 100:.2f}%"
    risk = snapshot_sum(
        "select sum(students_at_risk) from marts.agg_academic_risk where academic_year = ?", [Y]
    )
    assert shown["学业预警人数"] == f"{risk:,}"
    grads = snapshot_sum("select sum(graduates) from marts.agg_graduates where academic_year = ?", [Y])
    assert shown["毕业生数"] == f"{grads:,}"
    # the definition comes from dim_kpi
    help_text = next(m.help for m in at.main.metric if m.label == "在校生数")
    assert "口径说明 registered_students" in help_text
    # drill-down (selectbox fallback of the chart click): the unit's majors appear
    at.selectbox(key="drill_census_unit").set_value("U02").run()
    assert_clean(at)
    keys = {b.key for b in at.download_button}
    assert "dl_csv_students_census_drill_2025_2025" in keys
    frames = [d.value for d in at.dataframe]
    assert any("英语" in set(map(str, f.iloc[:, 1])) for f in frames if f.shape[1] > 1)
    at.selectbox(key="drill_pass_unit").set_value("U01").run()
    assert_clean(at)
    frames = [d.value for d in at.dataframe]
    assert any("数据结构与算法" in set(map(str, f.iloc[:, 1])) for f in frames if f.shape[1] > 1)


def test_unit_filter_limits_every_section(home: Path) -> None:
    snapshot_with_aggregates(home)
    at = open_page("students", unit="U02")
    assert_clean(at)
    assert at.selectbox(key="unit").value == "U02"
    head = snapshot_sum(
        "select sum(headcount) from marts.agg_student_census where academic_year = ? and unit_code = 'U02'",
        [Y],
    )
    assert metrics(at)["在校生数"] == f"{head:,}"
    assert "外国语学院" in all_text(at)
    at.selectbox(key="unit").set_value("").run()
    assert metrics(at)["在校生数"] == "12,345"


def test_faculty_numbers_equal_snapshot(home: Path) -> None:
    snapshot_with_aggregates(home)
    at = open_page("faculty", lang="en")
    assert_clean(at)
    shown = metrics(at)
    teachers = snapshot_sum(
        "select sum(fulltime_teachers) from marts.agg_faculty_census where academic_year = ?", [Y]
    )
    assert Decimal(teachers) == db_values(home, Y, Y)["fulltime_teachers"]
    assert shown["Full-time teachers"] == f"{teachers:,}"
    ext = snapshot_sum(
        "select sum(external_teachers) from marts.agg_external_teachers where academic_year = ?", [Y]
    )
    assert shown["External teachers"] == f"{ext:,}"
    assert shown["Student-teacher ratio"] == "23.45"  # the published college value (fct_kpi_values)
    dq = snapshot_sum(
        "select sum(fulltime_teachers) from marts.agg_faculty_census where academic_year = ? and is_double_qualified",
        [Y],
    )
    assert shown["Share of double-qualified teachers"] == f"{Decimal(dq) / Decimal(teachers) * 100:.2f}%"
    at.selectbox(key="drill_faculty_unit").set_value("U03").run()
    assert_clean(at)
    assert "dl_xlsx_faculty_unit_drill_2025_2025" in {b.key for b in at.download_button}


def test_finance_numbers_equal_snapshot(home: Path) -> None:
    snapshot_with_aggregates(home)
    at = open_page("finance", lang="en")
    assert_clean(at)
    shown = metrics(at)
    spent = snapshot_sum("select sum(expenditure) from marts.agg_budget_execution where fiscal_year = ?", [Y])
    budget = snapshot_sum(
        "select sum(b) from (select max(budget) as b from marts.agg_budget_execution where fiscal_year = ? "
        "group by unit_code, econ_class_code)",
        [Y],
    )
    assert shown["Total expenditure"] == f"¥{spent / 1_000_000:,.2f} million"
    assert shown["Total budget"] == f"¥{budget / 1_000_000:,.2f} million"
    assert shown["Budget execution rate"] == f"{spent / budget * 100:.2f}%"
    paid, due, waived = (
        snapshot_sum(f"select sum({c}) from marts.agg_tuition where academic_year = ?", [Y])
        for c in ("amount_paid", "amount_due", "amount_waived")
    )
    assert shown["Tuition collection rate"] == f"{paid / (due - waived) * 100:.2f}%"
    at.selectbox(key="drill_budget_unit").set_value("A01").run()
    assert_clean(at)
    assert "dl_csv_finance_budget_drill_2025_2025" in {b.key for b in at.download_button}


@pytest.mark.parametrize("page", PAGES)
def test_page_without_aggregates_shows_a_note(home: Path, page: str) -> None:
    build_snapshot(home)  # fct_kpi_values and dim_kpi only: the marts have not published agg_* yet
    at = open_page(page)
    assert_clean(at)
    assert not at.error
    notes = [i.value for i in at.info]
    assert notes and all("Traceback" not in n for n in notes)
    assert any("marts.agg_" in n for n in notes)
