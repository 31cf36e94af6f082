"""`campus-dw run --system X`: only X's assets and what depends on them downstream."""

from __future__ import annotations

import warnings

import dagster as dg
import duckdb
import pytest

from orchestration.pipeline import complete_marker, job_name_for


def test_system_job_choice():
    for system in ("academic", "hr", "finance", "payment"):
        assert job_name_for("full", system) == f"{system}_only"
        assert job_name_for("incremental", system) == f"{system}_only"
        # nothing complete to build on (first run, or the last run failed): the whole graph
        assert job_name_for("full", system, previous_run_complete=False) == "incremental_refresh"
    assert job_name_for("full", "all", previous_run_complete=False) == "full_refresh"


def _job_defs():
    """The real extract assets and contract checks, with stand-ins for dbt models and publish."""
    from orchestration.assets.extract import extract_assets, raw_key
    from orchestration.assets.quality import build_contract_checks
    from orchestration.definitions import build_jobs
    from orchestration.resources import CampusSettings

    extracts = extract_assets()

    @dg.asset(key=["staging", "stg_academic__grades"], deps=[raw_key("academic__cjxx")])
    def stg_grades(): ...

    @dg.asset(key=["staging", "stg_hr__payroll"], deps=[raw_key("hr__gzff")])
    def stg_payroll(): ...

    @dg.asset(key=["marts", "agg_mixed"], deps=[stg_grades, stg_payroll])
    def mixed(): ...

    @dg.asset(key=["serving", "snapshot"], deps=[stg_grades, stg_payroll, mixed])
    def publish(): ...

    jobs = build_jobs(extracts, dg.AssetSelection.all())
    return dg.Definitions(
        assets=[*extracts, stg_grades, stg_payroll, mixed, publish],
        asset_checks=[build_contract_checks()],
        jobs=jobs,
        resources={"campus": CampusSettings()},
    )


@pytest.mark.parametrize(("system", "other"), [("academic", "hr"), ("hr", "academic")])
def test_system_job_selects_that_system_and_its_downstream_only(system, other):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        job = _job_defs().resolve_job_def(f"{system}_only")
    keys = {k.to_user_string() for k in job.asset_layer.selected_asset_keys}
    mine = {k for k in keys if k.startswith("raw/")}
    assert mine and all(k.startswith(f"raw/{system}__") for k in mine), keys
    staging = "staging/stg_academic__grades" if system == "academic" else "staging/stg_hr__payroll"
    not_mine = "staging/stg_hr__payroll" if system == "academic" else "staging/stg_academic__grades"
    assert {staging, "marts/agg_mixed", "serving/snapshot"} <= keys
    assert not_mine not in keys
    checks = job.asset_layer.asset_graph.asset_check_keys
    assert checks and all(c.asset_key.path[-1].startswith(f"{system}__") for c in checks)
    assert {n.name for n in job.nodes} >= {f"extract_{system}", "data_contracts"}
    assert f"extract_{other}" not in {n.name for n in job.nodes}


@pytest.mark.slow
def test_run_system_academic_runs_academic_and_its_downstream_only(small_pipeline):
    from orchestration.pipeline import run_pipeline
    from orchestration.publish import current_snapshot
    from orchestration.settings import load_settings

    cfg, first = small_pipeline
    assert first.success, first.message
    settings = load_settings(cfg)
    if not complete_marker(settings).exists():  # another test left a failed run behind
        assert run_pipeline(settings, mode="incremental", log=lambda _m: None).success

    outcome = run_pipeline(settings, mode="incremental", system="academic", log=lambda _m: None)
    assert outcome.success, outcome.message
    assert outcome.job == "academic_only"
    done = set(outcome.materialized)
    raw = {k for k in done if k.startswith("raw/")}
    assert "raw/academic__cjxx" in raw and all(k.startswith("raw/academic__") for k in raw), raw
    assert "staging/stg_academic__grades" in done and "serving/snapshot" in done
    assert not any(
        k.startswith(("staging/stg_hr__", "staging/stg_finance__", "staging/stg_payment__")) for k in done
    )
    assert outcome.check_evaluations > 0  # the contract checks of academic's raw tables ran
    assert current_snapshot(settings).run_id == outcome.run_id  # published, as a whole-graph run does
    assert complete_marker(settings).exists()
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        systems = con.execute(
            "select distinct system from raw._load_log where run_id = ?", [outcome.run_id]
        ).fetchall()
    finally:
        con.close()
    assert systems == [("academic",)]
