"""English pages show the English names of units, majors and courses (``*_name_en`` from the seed
name_translations) and fall back to the Chinese name where no translation is maintained."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.dashboards.aggregates import add_english_names
from tests.dashboards.test_app import assert_clean, write_config
from tests.dashboards.test_pages import open_page, snapshot_with_aggregates


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("CAMPUS_DW_CONFIG", str(write_config(tmp_path, home)))
    monkeypatch.delenv("CAMPUS_DW_HOME", raising=False)
    add_english_names(snapshot_with_aggregates(home))
    return home


def _cells(at) -> set[str]:
    return {str(v) for d in at.dataframe for col in d.value.columns for v in d.value[col]}


def test_english_page_shows_english_unit_major_and_course_names(home: Path) -> None:
    at = open_page("students", lang="en")
    assert_clean(at)
    cells = _cells(at)
    assert "School of Computer and Information Engineering" in cells
    assert "School of Foreign Languages" in cells
    assert "外国语学院" not in cells and "计算机与信息工程学院（人工智能产业学院）" not in cells
    assert "经济管理学院" in cells  # no translation: the Chinese name, not the code
    assert "Computer Science and Technology" in cells and "计算机科学与技术" not in cells
    assert "工商管理（硕士）" in cells  # fallback for the major without a translation
    # the sidebar's unit filter and the pass-rate drill-down name courses in English too
    options = at.selectbox(key="unit").options
    assert "School of Foreign Languages" in options and "经济管理学院" in options
    at.selectbox(key="drill_pass_unit").set_value("U01").run()
    assert_clean(at)
    cells = _cells(at)
    assert "Data Structures and Algorithms" in cells and "数据结构与算法" not in cells


def test_chinese_page_keeps_chinese_names(home: Path) -> None:
    at = open_page("faculty", lang="zh")
    assert_clean(at)
    cells = _cells(at)
    assert "外国语学院" in cells and "School of Foreign Languages" not in cells
    at = open_page("faculty", lang="en")
    assert_clean(at)
    cells = _cells(at)
    assert "School of Foreign Languages" in cells and "外国语学院" not in cells
