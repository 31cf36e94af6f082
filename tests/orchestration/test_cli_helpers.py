"""Pure helpers of the orchestration layer: configuration, kpi formatting, job choice, SQL sandbox."""

from __future__ import annotations

from decimal import Decimal

import duckdb
import pytest

from orchestration.kpis import KPI_CATALOGUE, json_number, kpi_document
from orchestration.pipeline import job_name_for
from orchestration.sandbox import SqlError, run_sandboxed_sql
from orchestration.settings import ConfigError, load_settings, settings_from_dict


def test_embedded_default_is_the_demo_college(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CAMPUS_DW_CONFIG", raising=False)
    s = load_settings()
    assert s.sources.academic.type == "sqlite"
    assert str(s.sources.academic.path).endswith("demo/medium/academic.sqlite")
    assert s.thresholds.student_teacher_ratio.pass_max == 18


def test_bad_config_names_the_key(tmp_path):
    cfg = tmp_path / "c.yml"
    cfg.write_text(
        "sources:\n  academic: {type: sqlite, path: a.sqlite}\n  hr: {type: mysql}\n"
        "  finance: {inbox: x}\n  payment: {page_size: 5000}\n"
    )
    with pytest.raises(ConfigError) as exc:
        load_settings(cfg)
    text = str(exc.value)
    assert "sources.hr.mysql.database" in text or "sources.hr" in text
    assert "sources.payment.page_size" in text


def test_server_source_hides_password(monkeypatch):
    monkeypatch.setenv("ACAD_PW", "s3cret")
    s = settings_from_dict(
        {
            "sources": {
                "academic": {"type": "postgres", "host": "db", "database": "jw", "password_env": "ACAD_PW"},
                "hr": {"type": "sqlite", "path": "hr.sqlite"},
                "finance": {"inbox": "in"},
                "payment": {},
            }
        }
    )
    assert "s3cret" in s.sources.academic.attach_string()
    assert "s3cret" not in s.sources.academic.describe()


def test_json_number_rounds_to_fixed_decimals():
    assert json_number(Decimal("17.5"), 2) == 17.5
    assert json_number(Decimal("1234"), 0) == 1234 and isinstance(json_number(Decimal("1234"), 0), int)
    assert json_number(None, 4) is None


def test_kpi_document_has_every_id_and_nulls_for_missing():
    doc = kpi_document([("registered_students", Decimal("2000")), ("employment_rate", None)], 2024, 2025)
    assert doc["academic_year"] == "2024-2025" and doc["census_date"] == "2024-09-30"
    assert doc["fiscal_year"] == 2025
    assert list(doc["kpis"]) == list(KPI_CATALOGUE)
    assert doc["kpis"]["registered_students"] == 2000
    assert doc["kpis"]["budget_total"] is None


def test_job_choice():
    assert job_name_for("full", None) == "full_refresh"
    assert job_name_for("incremental", "all") == "incremental_refresh"
    assert job_name_for("incremental", "finance") == "finance_only"
    with pytest.raises(ValueError):
        job_name_for("full", "library")


def test_sql_sandbox_is_read_only_and_closed(tmp_path):
    db = tmp_path / "s.duckdb"
    con = duckdb.connect(str(db))
    con.execute("create schema marts; create table marts.t as select 1 as a")
    con.close()
    assert "1" in run_sandboxed_sql(db, "select a from marts.t")
    with pytest.raises(SqlError):
        run_sandboxed_sql(db, "insert into marts.t values (2)")
    with pytest.raises(SqlError):
        run_sandboxed_sql(db, f"copy marts.t to '{tmp_path / 'leak.csv'}'")
    assert not (tmp_path / "leak.csv").exists()
    with pytest.raises(SqlError):
        run_sandboxed_sql(db, "set enable_external_access = true")


def test_example_config_loads():
    from orchestration.settings import PROJECT_ROOT

    s = load_settings(PROJECT_ROOT / "campus-dw.example.yml")
    assert s.sources.academic.type == "postgres" and s.sources.hr.type == "mysql"
    assert s.sources.academic.password_env == "CAMPUS_DW_ACADEMIC_PASSWORD"


def test_extract_run_config_sets_every_system():
    from orchestration.definitions import extract_run_config

    cfg = extract_run_config("full")
    assert cfg["ops"]["extract_academic"]["config"]["mode"] == "full"
    assert set(cfg["ops"]) == {"extract_academic", "extract_hr", "extract_finance", "extract_payment"}
    assert set(extract_run_config("incremental", ["payment"])["ops"]) == {"extract_payment"}
    with pytest.raises(ValueError):
        extract_run_config("sometimes")


def test_manual_publish_refused_after_incomplete_run(tmp_path, capsys):
    from orchestration.cli import main as cli_main

    cfg = tmp_path / "c.yml"
    cfg.write_text(
        f"home: {tmp_path / 'home'}\nsources:\n  academic: {{type: sqlite, path: a.sqlite}}\n"
        "  hr: {type: sqlite, path: h.sqlite}\n  finance: {inbox: x}\n  payment: {}\n"
    )
    wh = tmp_path / "home" / "warehouse" / "warehouse.duckdb"
    wh.parent.mkdir(parents=True)
    duckdb.connect(str(wh)).close()
    assert cli_main(["--config", str(cfg), "publish"]) == 2
    assert "did not complete" in capsys.readouterr().err


def test_dbt_vars_reach_the_vars_dbt_declares(tmp_path):
    import yaml

    from orchestration.dbt_invoke import DBT_PROJECT_DIR, dbt_vars

    cfg = tmp_path / "c.yml"
    cfg.write_text(
        "sources:\n  academic: {type: sqlite, path: a.sqlite}\n  hr: {type: sqlite, path: h.sqlite}\n"
        "  finance: {inbox: x}\n  payment: {}\n"
        "thresholds:\n  student_teacher_ratio: {pass_max: 16, limit_max: 20}\n"
        "  pct_teachers_postgrad_degree: {pass_min: 0.4, limit_min: 0.2}\n  academic_risk_failed_credits: 6\n"
    )
    declared = yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text(encoding="utf-8"))["vars"]
    passed = dbt_vars(load_settings(cfg))
    assert set(passed) <= set(declared), "every var passed must be one dbt_project.yml declares"
    lines = passed["running_condition_lines"]
    assert set(lines) == set(declared["running_condition_lines"])
    assert lines["student_teacher_ratio"] == {"direction": "max", "pass_line": 16, "limiting_line": 20}
    assert lines["pct_teachers_postgrad_degree"]["limiting_line"] == 0.2
    assert passed["academic_risk_failed_credits"] == 6
    defaults = dbt_vars(
        settings_from_dict(
            {
                "sources": {
                    "academic": {"type": "sqlite", "path": "a"},
                    "hr": {"type": "sqlite", "path": "h"},
                    "finance": {"inbox": "x"},
                    "payment": {},
                }
            }
        )
    )
    for kpi, line in declared["running_condition_lines"].items():
        assert defaults["running_condition_lines"][kpi] == line
    assert defaults["academic_risk_failed_credits"] == declared["academic_risk_failed_credits"]


def test_a_build_s_parse_cache_becomes_the_home_s_and_old_build_folders_go(tmp_path):
    import os

    from orchestration.dbt_invoke import KEEP_BUILD_FOLDERS, PARTIAL_PARSE, keep_parse_cache
    from orchestration.settings import default_settings_dict

    settings = settings_from_dict(default_settings_dict(tmp_path / "home", "small"))
    root = settings.dbt_target_dir
    builds = []
    for i in range(KEEP_BUILD_FOLDERS + 3):
        b = root / f"dbt_models-{i:03d}"
        b.mkdir(parents=True)
        os.utime(b, (1_000_000 + i, 1_000_000 + i))
        builds.append(b)
    (root / PARTIAL_PARSE).write_bytes(b"old cache")
    newest = builds[-1]
    (newest / PARTIAL_PARSE).write_bytes(b"this build's parse")
    keep_parse_cache(settings, newest)
    assert (root / PARTIAL_PARSE).read_bytes() == b"this build's parse"
    left = sorted(p.name for p in root.iterdir() if p.is_dir())
    assert left == [b.name for b in builds[-KEEP_BUILD_FOLDERS:]]
    assert not [p for p in root.iterdir() if p.name.startswith(".")], "no temporary copy is left"
    # a build that parsed nothing (it failed before) leaves the home's cache as it was
    bare = root / "dbt_models-bare"
    bare.mkdir()
    keep_parse_cache(settings, bare)
    assert (root / PARTIAL_PARSE).read_bytes() == b"this build's parse" and bare.exists()


def test_dbt_s_version_is_known_without_running_dbt(monkeypatch):
    import subprocess

    from dagster_dbt import DbtCliResource
    from dbt.version import __version__
    from packaging import version

    from orchestration.assets.transform import dbt_resource

    # the attribute dagster-dbt asks (a rename in an upgrade would bring the subprocess back)
    assert "_cli_version" in vars(DbtCliResource)

    def no_subprocess(*_a, **_k):
        raise AssertionError("dbt --version was run")

    monkeypatch.setattr(subprocess, "check_output", no_subprocess)
    import dagster_dbt.core.resource as dagster_dbt_resource

    monkeypatch.setattr(dagster_dbt_resource, "check_output", no_subprocess)
    assert dbt_resource()._cli_version == version.parse(__version__)
