"""On the small demo college: every injected defect is reported on the right table and key, no
clean row is flagged (except by rules reporting a documented natural quirk), and a clean college
flags nothing of severity error or blocking."""

from __future__ import annotations

import datetime as dt
import json

import duckdb

from data_contracts.loader import all_rules
from data_contracts.report import format_report, quality_report

FINANCE = {"budget", "ledger"}


def _key(table: str, key: dict) -> tuple:
    if table in FINANCE:
        return (str(key["file"]), int(key["line_no"]))
    return tuple(sorted((k, str(v)) for k, v in key.items()))


def _failing(warehouse) -> list[tuple[str, str, str, tuple, str]]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        rows = con.execute(
            "select f.rule_id, f.system, f.table_name, f.source_key, r.severity "
            "from quality.failing_rows f join quality.check_results r using (run_id, rule_id)"
        ).fetchall()
    finally:
        con.close()
    return [(rid, s, t, _key(t, json.loads(k)), sev) for rid, s, t, k, sev in rows]


def test_every_manifest_defect_is_reported(defect_college):
    failing = _failing(defect_college.warehouse)
    flagged = {(s, t, k) for _, s, t, k, _ in failing}
    assert defect_college.manifest, "the generator injected nothing"
    missing = [
        d
        for d in defect_college.manifest
        if (d["system"], d["table"], _key(d["table"], d["key"])) not in flagged
    ]
    assert not missing, f"{len(missing)} manifest defects not reported, e.g. {missing[:5]}"


def test_no_clean_row_is_flagged(defect_college):
    manifest = {(d["system"], d["table"], _key(d["table"], d["key"])) for d in defect_college.manifest}
    quirk_rules = {r.id for r in all_rules() if r.natural_quirk}
    wrong = [
        (rid, s, t, k)
        for rid, s, t, k, _ in _failing(defect_college.warehouse)
        if (s, t, k) not in manifest and rid not in quirk_rules
    ]
    assert not wrong, f"{len(wrong)} clean rows flagged, e.g. {wrong[:10]}"


def test_gx_and_sql_agree(defect_college, clean_college):
    assert defect_college.report.mismatches == []
    assert clean_college.report.mismatches == []
    assert not [r for r in defect_college.report.results if r.status == "error"]


def test_clean_college_flags_nothing_serious(clean_college):
    bad = [
        (r.rule_id, r.failed_rows, r.sample_keys[:3])
        for r in clean_college.report.results
        if r.status != "pass" and r.severity in ("error", "blocking")
    ]
    assert not bad
    assert not clean_college.report.blocking_failed
    quirk_rules = {r.id for r in all_rules() if r.natural_quirk}
    warned = {r.rule_id for r in clean_college.report.results if r.status == "fail"}
    assert warned <= quirk_rules


def test_results_persist_and_report(defect_college):
    entries = quality_report(defect_college.warehouse)
    assert len(entries) == len(all_rules())
    assert {e["run_id"] for e in entries} == {"run1"}
    failing = [e for e in entries if e["status"] == "fail"]
    assert failing and failing[0]["severity"] in ("blocking", "error")
    e = next(e for e in entries if e["rule_id"] == "academic.cjxx.kscj_valid")
    assert e["failed_rows"] > 0 and e["checked_rows"] > 80_000 and e["owner"] == "academic_office"
    assert e["sample_keys"] and "cjid" in e["sample_keys"][0]
    assert json.loads(format_report(entries, "json"))[0]["rule_id"] == entries[0]["rule_id"]
    table = format_report(entries, "table")
    assert "academic.cjxx.kscj_valid" in table and "checked" in table


def test_validation_time_is_recorded(defect_college):
    rep = defect_college.report
    print(
        f"\nsmall college validation: {defect_college.seconds:.1f} s wall (incl. GX import), "
        f"{rep.seconds_total:.1f} s in run_checks, SQL {rep.seconds_sql:.1f} s, GX {rep.seconds_gx:.1f} s"
    )
    assert rep.seconds_total < 300


def test_gx_in_this_process_gives_the_same_results(defect_college, tmp_path, monkeypatch):
    """GX runs in a spawned child process by default; CAMPUS_DW_GX_IN_PROCESS=1 runs it on a thread
    of this process. Both must count exactly the same for every rule."""
    import shutil

    from data_contracts.runner import GX_IN_PROCESS_ENV, run_checks

    wh = tmp_path / "copy.duckdb"
    shutil.copy(defect_college.warehouse, wh)
    monkeypatch.setenv(GX_IN_PROCESS_ENV, "1")
    info = json.loads((defect_college.college / "college.json").read_text(encoding="utf-8"))
    now = dt.datetime.fromisoformat(info["now"]).replace(tzinfo=None) + dt.timedelta(hours=1)  # as conftest
    con = duckdb.connect(str(wh))
    try:
        report = run_checks(con, "run1", changed_only=True, now=now)
    finally:
        con.close()

    def counts(rep):
        return {(r.rule_id, r.checked_rows, r.failed_rows, r.status) for r in rep.results}

    assert report.mismatches == []
    assert counts(report) == counts(defect_college.report)
    assert any(r.failed_rows for r in report.results)


def test_a_gx_process_that_died_is_replaced_by_the_next_check_run(defect_college, tmp_path, monkeypatch):
    """The GX process is kept between check runs; if it died (killed, out of memory), the next run
    starts a new one instead of failing on the broken pool."""
    import os
    import shutil
    from concurrent.futures.process import BrokenProcessPool

    import pytest

    from data_contracts import runner

    monkeypatch.delenv(runner.GX_IN_PROCESS_ENV, raising=False)
    dead = runner.gx_pool()
    with pytest.raises(BrokenProcessPool):
        dead.submit(os._exit, 3).result()
    wh = tmp_path / "copy.duckdb"
    shutil.copy(defect_college.warehouse, wh)
    report = runner.run_checks(wh, "after_crash", changed_only=False, tables=["academic.xsjbsj"])
    assert runner.gx_pool() is not dead
    assert report.results and not [r for r in report.results if r.status == "error"]
    assert any(r.failed_rows for r in report.results)
