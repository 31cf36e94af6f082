"""An incremental run checks only the keys it changed, yet its results are the table's whole state:
failing rows of unchanged keys are carried forward from the previous run (runner._carry_forward)."""

from __future__ import annotations

import datetime as dt
import json
import shutil

import duckdb

from data_contracts.runner import run_checks


def _failed(con: duckdb.DuckDBPyConnection, run_id: str) -> dict[str, tuple[int, int]]:
    return {
        rid: (checked, failed)
        for rid, checked, failed in con.execute(
            "select rule_id, checked_rows, failed_rows from quality.check_results "
            "where run_id = ? and status in ('pass', 'fail')",
            [run_id],
        ).fetchall()
    }


def _keys(con: duckdb.DuckDBPyConnection, run_id: str, rule_id: str) -> set[str]:
    return {
        k
        for (k,) in con.execute(
            "select cast(source_key as varchar) from quality.failing_rows where run_id = ? and rule_id = ?",
            [run_id, rule_id],
        ).fetchall()
    }


def test_incremental_results_carry_unchanged_failures(defect_college, tmp_path):
    wh = tmp_path / "warehouse.duckdb"
    shutil.copyfile(defect_college.warehouse, wh)
    info = json.loads((defect_college.college / "college.json").read_text(encoding="utf-8"))
    now = dt.datetime.fromisoformat(info["now"]).replace(tzinfo=None) + dt.timedelta(hours=1)
    rule = "academic.cjxx.kscj_valid"
    con = duckdb.connect(str(wh))
    try:
        before = _failed(con, "run1")
        assert before[rule][1] > 1  # the defect college has bad scores to carry

        # run2 landed nothing: every table checks 0 rows, and the state is run1's
        report = run_checks(con, "run2", changed_only=True, now=now)
        assert all(report.timings.get(k, 0) >= 0 for k in report.timings)
        carried = _failed(con, "run2")
        by_key = {k: v for k, v in before.items() if not k.startswith("finance.")}
        assert {k: carried[k] for k in by_key} == by_key
        assert _keys(con, "run2", rule) == _keys(con, "run1", rule)
        # finance: a file superseded by a re-export is no longer current, so its problems close
        for k, (_checked, failed) in before.items():
            if k.startswith("finance."):
                assert carried[k][1] <= failed
        assert any(carried[k][1] < before[k][1] for k in before if k.startswith("finance."))

        # run3 corrects one bad score at the source: only that key is re-checked
        fixed = json.loads(sorted(_keys(con, "run1", rule))[0])["cjid"]
        con.execute(
            "insert into raw.academic__cjxx select * replace ('80' as kscj, 'run3' as _run_id, "
            "_loaded_at + interval 1 second as _loaded_at, 'U' as _op) from raw.academic__cjxx "
            "where cjid = ? qualify row_number() over (order by _loaded_at desc) = 1",
            [fixed],
        )
        run_checks(con, "run3", changed_only=True, now=now)
        after = _failed(con, "run3")
        assert after[rule] == (before[rule][0], before[rule][1] - 1)
        assert json.dumps({"cjid": fixed}) not in {k.replace(" ", "") for k in _keys(con, "run3", rule)}
        assert len(_keys(con, "run3", rule)) == before[rule][1] - 1
        # other rules of the table are unchanged
        others = {k: v for k, v in before.items() if k.startswith("academic.") and k != rule}
        assert {k: after[k] for k in others} == others
    finally:
        con.close()


def test_a_table_without_changes_gets_what_gx_reports_for_no_rows(defect_college, tmp_path, monkeypatch):
    """A run that changed no row of a table does not send it to GX; its results equal GX's own
    verdict on the empty batch (every rule kind the contracts use), carried-forward failures too."""
    from data_contracts import runner

    def results(skip: bool, name: str):
        wh = tmp_path / f"{name}.duckdb"
        shutil.copyfile(defect_college.warehouse, wh)
        monkeypatch.setattr(runner, "SKIP_GX_WITHOUT_CHANGES", skip)
        con = duckdb.connect(str(wh))
        try:
            report = run_checks(con, "nothing-changed", changed_only=True)
        finally:
            con.close()
        return {
            r.rule_id: (r.status, r.checked_rows, r.failed_rows, tuple(map(str, r.sample_keys)))
            for r in report.results
        }, report.seconds_gx

    skipped, gx_seconds_skipped = results(True, "skipped")
    validated, gx_seconds_validated = results(False, "validated")
    assert len(skipped) > 250 and skipped == validated
    assert any(status == "fail" for status, *_ in skipped.values()), "failures are carried forward"
    assert gx_seconds_skipped == 0 < gx_seconds_validated
