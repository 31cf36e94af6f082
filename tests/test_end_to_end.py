"""The whole path on the small demo college: sources → raw → dbt → checks → publish → kpis.

The indicator values are checked against an independent plain-Python computation from the
demo college's own source files (tests/reference), never against the warehouse's SQL.
"""

from __future__ import annotations

import json
import subprocess
import sys

import duckdb
import pytest

from orchestration.cli import main as cli_main
from orchestration.dbt_invoke import KEEP_BUILD_FOLDERS, PARTIAL_PARSE
from orchestration.settings import PROJECT_ROOT
from tests.reference.kpi_reference import available_years, compute_kpis

pytestmark = pytest.mark.slow


def _kpis_json(cfg, year, capsys, fiscal_year=None):
    args = ["--config", str(cfg), "kpis", "--year", str(year), "--format", "json"]
    if fiscal_year is not None:
        args += ["--fiscal-year", str(fiscal_year)]
    capsys.readouterr()
    assert cli_main(args) == 0
    return json.loads(capsys.readouterr().out)


def _plain(doc):
    return {k: (None if v is None else float(v)) for k, v in doc["kpis"].items()}


def test_full_run_succeeds_with_checks(small_pipeline):
    _cfg, outcome = small_pipeline
    assert outcome.success, outcome.message
    assert outcome.job == "full_refresh"
    assert outcome.check_evaluations > 50, "dbt tests should surface as Dagster asset checks"
    # the demo college carries injected defects: contract checks fail as warnings, none blocks
    assert not [c for c in outcome.failed_checks if c.endswith("(ERROR)")]
    assert any(c.startswith("raw/") and "data_contract" in c for c in outcome.failed_checks)


def test_kpis_equal_independent_computation_every_year(small_pipeline, small_college, capsys):
    cfg, outcome = small_pipeline
    assert outcome.success
    years = available_years(small_college)
    assert len(years) >= 3
    for year in years:
        ours = _kpis_json(cfg, year, capsys)
        ref = compute_kpis(small_college, year)
        assert ours["academic_year"] == ref["academic_year"] and ours["census_date"] == ref["census_date"]
        assert ours["fiscal_year"] == ref["fiscal_year"]
        assert list(ours["kpis"]) == list(ref["kpis"])
        assert _plain(ours) == _plain(ref), f"year {year}"
    # a fiscal year other than the academic year
    y = years[-1]
    assert _plain(_kpis_json(cfg, y, capsys, fiscal_year=y - 1)) == _plain(
        compute_kpis(small_college, y, y - 1)
    )


def test_quality_report_lists_every_rule(small_pipeline, capsys):
    cfg, _ = small_pipeline
    capsys.readouterr()
    assert cli_main(["--config", str(cfg), "quality", "--format", "json"]) == 0
    entries = json.loads(capsys.readouterr().out)
    assert len(entries) > 100
    assert {"rule_id", "table", "severity", "checked_rows", "failed_rows", "owner"} <= set(entries[0])
    failing = [e for e in entries if e["failed_rows"]]
    assert any(e["table"].endswith("cjxx") for e in failing), "injected grade defects must be reported"


def test_lineage_runs_from_source_tables_to_indicators():
    from orchestration.definitions import defs

    graph = defs().resolve_asset_graph()
    import dagster as dg

    target = dg.AssetKey(["marts", "fct_kpi_values"])
    upstream = graph.get(target).parent_keys
    seen, stack = set(), list(upstream)
    while stack:
        k = stack.pop()
        if k in seen:
            continue
        seen.add(k)
        stack.extend(graph.get(k).parent_keys)
    for raw in (
        "academic__xsjbsj",
        "academic__xjyd",
        "academic__cjxx",
        "hr__jzgjbxx",
        "hr__zcbd",
        "finance__ledger",
        "finance__budget",
        "payment__bills",
    ):
        assert dg.AssetKey(["raw", raw]) in seen, raw
    assert dg.AssetKey(["serving", "snapshot"]) in graph.get(target).child_keys


def test_every_dbt_data_test_is_an_asset_check():
    """dagster-dbt logs a dbt test it cannot attach to one asset as an observation, with a note that
    it "was likely executed due to dbt indirect selection": the raw tables' source tests (unless
    enable_source_tests_as_checks) and singular tests reading several models (unless their meta
    names one).  Every data test must show as a check of an asset instead."""
    from orchestration.dbt_invoke import ensure_manifest
    from orchestration.definitions import defs
    from orchestration.settings import load_settings

    manifest = json.loads(ensure_manifest(load_settings()).read_text())
    tests = {n["name"] for n in manifest["nodes"].values() if n["resource_type"] == "test"}
    checks = {k.name: k.asset_key.to_user_string() for k in defs().resolve_asset_graph().asset_check_keys}
    assert len(tests) > 150
    assert sorted(tests - set(checks)) == []
    sources = [t for t in tests if t.startswith("source_")]
    assert sources and all(checks[t].startswith("raw/") for t in sources)
    assert checks["assert_every_kpi_present"] == "marts/fct_kpi_values"
    assert checks["assert_persons_one_key_per_valid_id_number"] == "intermediate/int_persons_unified"


def test_serving_snapshot_has_no_personal_data(small_pipeline, small_college):
    from orchestration.publish import current_snapshot
    from orchestration.settings import load_settings

    cfg, _ = small_pipeline
    info = current_snapshot(load_settings(cfg))
    assert info is not None
    from extractors.duckdb_setup import connect

    src = connect()
    src.execute(f"attach '{small_college / 'academic.sqlite'}' as a (type sqlite, read_only)")
    names = {r[0] for r in src.execute("select xm from a.xsjbsj where length(xm) >= 3 limit 300").fetchall()}
    ids = {
        r[0] for r in src.execute("select sfzjh from a.xsjbsj where sfzjh is not null limit 300").fetchall()
    }
    phones = {
        r[0] for r in src.execute("select sjhm from a.xsjbsj where sjhm is not null limit 300").fetchall()
    }
    assert names and ids and phones
    con = duckdb.connect(str(info.path), read_only=True)
    cols = con.execute(
        "select table_schema, table_name, column_name from information_schema.columns "
        "where data_type = 'VARCHAR'"
    ).fetchall()
    assert {s for s, _t, _c in cols} <= {"marts", "meta"}
    for schema, table, column in cols:
        values = {r[0] for r in con.execute(f'select distinct "{column}" from {schema}."{table}"').fetchall()}
        assert not values & names, f"{schema}.{table}.{column} holds student names"
        assert not values & ids, f"{schema}.{table}.{column} holds ID numbers"
        assert not values & phones, f"{schema}.{table}.{column} holds phone numbers"


def test_incremental_rerun_changes_nothing(small_pipeline, capsys):
    from orchestration.pipeline import run_pipeline
    from orchestration.settings import load_settings

    cfg, first = small_pipeline
    settings = load_settings(cfg)
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    before = con.execute("select count(*) from raw.academic__cjxx").fetchone()[0]
    kpis_before = _kpis_json(cfg, 2024, capsys)
    con.close()
    project_target = PROJECT_ROOT / "dbt_project" / "target"
    project_builds = sorted(project_target.glob("dbt_models-*"))
    outcome = run_pipeline(settings, mode="incremental", log=lambda _m: None)
    assert outcome.success, outcome.message
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    assert con.execute("select count(*) from raw.academic__cjxx").fetchone()[0] == before
    con.close()
    assert _kpis_json(cfg, 2024, capsys) == kpis_before
    # dbt's artifacts go to the home, not into the project; the second build of a home parses only
    # what changed (the first one's cache), and a run builds models and data tests, not unit tests
    assert sorted(project_target.glob("dbt_models-*")) == project_builds
    builds = sorted(
        (p for p in settings.dbt_target_dir.iterdir() if p.is_dir()), key=lambda p: p.stat().st_mtime
    )
    assert 2 <= len(builds) <= KEEP_BUILD_FOLDERS  # this run's and the earlier runs' of this home
    assert (settings.dbt_target_dir / PARTIAL_PARSE).exists()
    log = (builds[-1] / "dbt.log").read_text(encoding="utf-8")
    assert "Starting full parse" not in log and "Unable to do partial parsing" not in log
    results = json.loads((builds[-1] / "run_results.json").read_text(encoding="utf-8"))["results"]
    kinds = {r["unique_id"].split(".")[0] for r in results}
    assert {"model", "seed", "test"} <= kinds and "unit_test" not in kinds, kinds


def test_second_run_while_one_writes_is_refused(small_pipeline, tmp_path):
    from orchestration.locking import warehouse_lock
    from orchestration.settings import load_settings

    cfg, _ = small_pipeline
    settings = load_settings(cfg)
    with warehouse_lock(settings):
        proc = subprocess.run(
            [sys.executable, "-m", "orchestration.cli", "--config", str(cfg), "run"],
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert proc.returncode == 2
    assert "another run is writing the warehouse" in proc.stderr
