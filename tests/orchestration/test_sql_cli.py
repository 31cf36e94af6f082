"""``campus-dw sql`` on a published snapshot: the CLI's own reader has the snapshot open when the
sandbox opens it too (DuckDB refuses a second, differently configured open of the same file in one
process: the sandbox attaches it read-only instead); refusals are messages, not tracebacks."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestration.cli import main
from tests.dashboards.test_app import build_snapshot, write_config


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    build_snapshot(home)
    monkeypatch.delenv("CAMPUS_DW_HOME", raising=False)
    return write_config(tmp_path, home)


def test_sql_reads_the_snapshot(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(
        [
            "--config",
            str(config),
            "sql",
            "select kpi_id, value from marts.fct_kpi_values "
            "where kpi_id = 'registered_students' and academic_year = 2025",
            "--format",
            "csv",
        ]
    )
    assert rc == 0
    assert capsys.readouterr().out.splitlines() == ["kpi_id,value", "registered_students,12345.0000"]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("delete from marts.fct_kpi_values", "DELETE"),
        ("attach '/tmp/x.duckdb' as x", "ATTACH"),
        ("select * from read_csv('/etc/hostname')", "disabled by configuration"),
    ],
)
def test_sql_refusals_are_messages(
    config: Path, capsys: pytest.CaptureFixture[str], query: str, message: str
) -> None:
    assert main(["--config", str(config), "sql", query]) == 2
    err = capsys.readouterr().err
    assert err.startswith("campus-dw: ") and message in err and "Traceback" not in err
