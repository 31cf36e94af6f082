"""Blocking data-contract failures stop the publish; warnings do not (issue: data standards).

The gate is exercised through the real Dagster job on the small demo college; only the
verdict of the contract runner is replaced, so that a blocking failure can be staged
without corrupting a source (the extractors already quarantine empty or duplicate keys).
"""

from __future__ import annotations

import pytest

from data_contracts.runner import CheckReport, RuleResult, beijing_now
from orchestration import pipeline
from orchestration.assets.quality import summarise
from orchestration.publish import QUALITY, current_snapshot
from orchestration.settings import load_settings

pytestmark = pytest.mark.slow


def _report(run_id: str, severity: str) -> CheckReport:
    rep = CheckReport(run_id=run_id, checked_at=beijing_now(), changed_only=True)
    rep.results.append(
        RuleResult(
            rule_id="academic.xsjbsj.test_rule",
            system="academic",
            table_name="xsjbsj",
            column_name="xh",
            severity=severity,
            owner="academic_office",
            checked_rows=10,
            failed_rows=1,
            status="fail",
        )
    )
    return rep


def test_summarise_verdicts():
    ok, sev, md = summarise(_report("r", "blocking").results, "academic__xsjbsj")
    assert not ok and sev.value == "ERROR" and md["rules_failed_blocking"] == 1
    ok, sev, md = summarise(_report("r", "warn").results, "academic__xsjbsj")
    assert not ok and sev.value == "WARN" and md["rules_failed_warn"] == 1
    ok, _sev, md = summarise(_report("r", "warn").results, "hr__zcbd")
    assert ok and md["rules_checked"] == 0


@pytest.mark.parametrize("severity,publishes", [("blocking", False), ("warn", True)])
def test_blocking_failure_keeps_previous_snapshot(small_pipeline, monkeypatch, severity, publishes):
    cfg, first = small_pipeline
    assert first.success
    settings = load_settings(cfg)
    before = current_snapshot(settings)
    assert before is not None

    def fake_quality_step(settings, *, run_id, raw_tables=None, changed_only=True, log=None):
        return _report(run_id, severity)

    monkeypatch.setattr(pipeline, "quality_step", fake_quality_step)
    outcome = pipeline.run_pipeline(settings, mode="incremental", log=lambda _m: None)
    after = current_snapshot(settings)
    if publishes:
        assert outcome.success, outcome.message
        assert after.name != before.name
    else:
        assert not outcome.success
        assert after.name == before.name and after.checksum == before.checksum
        assert any("data_contract" in c for c in outcome.failed_checks)
        # the stewards' quality snapshot is the blocked run's: the page shows what blocked it
        assert current_snapshot(settings, QUALITY).run_id == outcome.run_id


@pytest.mark.parametrize("severity,publishes", [("blocking", False), ("warn", True)])
def test_mart_contract_failure_gates_publish(small_pipeline, monkeypatch, tmp_path, severity, publishes):
    """The real mart checks after dbt build: a contract whose rule the built fct_kpi_values violates
    (counts above 100 exist) stops the publish when blocking and does not when it is a warning."""
    import shutil

    import duckdb

    from data_contracts import loader, runner

    cfg, first = small_pipeline
    assert first.success
    settings = load_settings(cfg)
    before = current_snapshot(settings)
    marts = tmp_path / "marts"
    shutil.copytree(loader.MARTS_DIR, marts)
    kpi = marts / "fct_kpi_values.yml"
    kpi.write_text(
        kpi.read_text(encoding="utf-8")
        + f"""  - id: marts.fct_kpi_values.test_below_100
    column: value
    severity: {severity}
    description: a tightened rule the demo's counts violate
    check: value is null or value < 100
    fix: tighten test
""",
        encoding="utf-8",
    )
    staged = loader.load_mart_contracts.__wrapped__(marts)
    monkeypatch.setattr(runner, "load_mart_contracts", lambda: staged)

    outcome = pipeline.run_pipeline(settings, mode="incremental", log=lambda _m: None)
    after = current_snapshot(settings)
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        status, failed = con.execute(
            "select status, failed_rows from quality.check_results where run_id = ? and rule_id = ?",
            [outcome.run_id, "marts.fct_kpi_values.test_below_100"],
        ).fetchone()
    finally:
        con.close()
    assert status == "fail" and failed > 0
    check = "marts/fct_kpi_values:mart_contract"
    if publishes:
        assert outcome.success, outcome.message
        assert after.name != before.name and after.run_id == outcome.run_id
        assert f"{check} (WARN)" in outcome.failed_checks
    else:
        assert not outcome.success
        assert after.name == before.name and after.checksum == before.checksum
        assert f"{check} (ERROR)" in outcome.failed_checks, outcome.failed_checks
        assert "serving__snapshot" not in " ".join(outcome.failed_steps)  # skipped, not crashed
        quality = current_snapshot(settings, QUALITY)
        assert quality.run_id == outcome.run_id  # the stewards see the blocking failure
        qcon = duckdb.connect(str(quality.path), read_only=True)
        try:
            assert qcon.execute(
                "select count(*) from quality.failing_rows where run_id = ? and rule_id = ?",
                [outcome.run_id, "marts.fct_kpi_values.test_below_100"],
            ).fetchone()[0] == min(failed, runner.MAX_FAILING_ROWS_PER_RULE)
        finally:
            qcon.close()
        # nothing was published, but the run's Data Docs show the stewards what blocked it
        from data_contracts.data_docs import docs_index

        index = docs_index(settings.quality_dir, outcome.run_id)
        assert index is not None
        assert "test_below_100" in "".join(
            p.read_text(encoding="utf-8") for p in index.parent.rglob("*.html")
        )
