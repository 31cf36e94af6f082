"""The Data quality page (数据质量), rendered with AppTest against a published QUALITY snapshot.

The snapshot comes from the real pipeline steps on the session's small demo college (the
``small_college`` fixture of tests/conftest.py), without dbt: the database and finance extractors
land raw (a copy of the academic database carries one extra student row without a student number,
which the extractor quarantines), the bills are landed as tests/data_contracts does, the data
contracts are checked twice (run1: the changed rows, run2: every current row) and
``orchestration.publish.publish_quality`` publishes the snapshot and its ``quality/CURRENT``.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from streamlit.testing.v1 import AppTest

from tests.dashboards.test_app import APP, TIMEOUT, assert_clean

ROOT = Path(__file__).resolve().parents[2]
QUARANTINED_NAME = "欧阳明月"
QUARANTINED_ID = "110101199003071234"
ID_RULE = "academic.xsjbsj.sfzjh_valid"  # an ID-number rule: its failing values are personal


@dataclass
class Published:
    config: Path
    home: Path
    snapshot: Path
    warehouse: Path


@pytest.fixture(scope="session")
def quality_published(tmp_path_factory, small_college) -> Published:
    from data_contracts.runner import run_checks
    from extractors.duckdb_setup import connect
    from extractors.raw_schema import create_raw_schema
    from extractors.run import extract_all
    from orchestration.publish import publish_quality
    from orchestration.settings import load_settings
    from tests.data_contracts.conftest import land_bills

    tmp = tmp_path_factory.mktemp("quality_page")
    college = tmp / "college"
    shutil.copytree(small_college, college)
    with sqlite3.connect(college / "academic.sqlite") as db:  # a row the extractor must quarantine
        row = db.execute("select * from xsjbsj limit 1").fetchone()
        cols = [d[0] for d in db.execute("select * from xsjbsj limit 1").description]
        values = dict(zip(cols, row, strict=True)) | {
            "xh": None,
            "xm": QUARANTINED_NAME,
            "sfzjh": QUARANTINED_ID,
        }
        db.execute(
            f"insert into xsjbsj ({', '.join(cols)}) values ({', '.join('?' for _ in cols)})",
            [values[c] for c in cols],
        )
    home = tmp / "home"
    config = tmp / "campus-dw.yml"
    config.write_text(
        yaml.safe_dump(
            {
                "home": str(home),
                "sources": {
                    "academic": {"type": "sqlite", "path": str(college / "academic.sqlite")},
                    "hr": {"type": "sqlite", "path": str(college / "hr.sqlite")},
                    "finance": {"inbox": str(college / "finance_inbox")},
                    "payment": {"base_url": "http://127.0.0.1:9", "token_env": "CAMPUS_DW_TEST_UNUSED"},
                },
            },
            allow_unicode=True,
        ),
        encoding="utf-8",
    )
    settings = load_settings(config)
    info = json.loads((college / "college.json").read_text(encoding="utf-8"))
    now = dt.datetime.fromisoformat(info["now"]).replace(tzinfo=None)
    warehouse = settings.warehouse_path
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    con = connect(warehouse)
    try:
        rep = extract_all(
            con, settings, mode="full", run_id="run1", systems=["academic", "hr", "finance"], now=now
        )
        assert rep.ok, rep.summary()
        create_raw_schema(con)
        land_bills(con, college / "payment" / "bills.jsonl", "run1")
        run_checks(con, "run1", changed_only=True, now=now + dt.timedelta(hours=1))
        run_checks(con, "run2", changed_only=False, now=now + dt.timedelta(hours=1))
    finally:
        con.close()
    result = publish_quality(settings, "run2", warehouse_path=warehouse)
    return Published(config, home, result.path, warehouse)


@pytest.fixture
def published(quality_published: Published, monkeypatch: pytest.MonkeyPatch) -> Published:
    monkeypatch.setenv("CAMPUS_DW_CONFIG", str(quality_published.config))
    monkeypatch.delenv("CAMPUS_DW_HOME", raising=False)
    monkeypatch.delenv("CAMPUS_DW_VIEWER_STEWARD", raising=False)
    return quality_published


def open_quality(**query) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    for k, v in query.items():
        at.query_params[k] = v
    at.run()
    at.switch_page("pages/quality.py")
    return at.run()


def snapshot_query(published: Published, sql: str, params: list | None = None) -> list[tuple]:
    from dashboards.snapshot import SnapshotReader
    from orchestration.settings import load_settings

    with SnapshotReader(load_settings(published.config), kind="quality") as reader:
        return [tuple(r.values()) for r in reader.query(sql, params or []).to_pylist()]


def table_in(at: AppTest, key: str):
    """The DataFrame shown inside the keyed container ``key``."""
    for block in _blocks(at._tree.main):
        if getattr(block, "key", None) == key:
            return block.dataframe[0].value
    raise AssertionError(f"no container {key}")


def _blocks(node):
    children = getattr(node, "children", {})
    for child in children.values():
        yield child
        yield from _blocks(child)


def cli_quality_json(published: Published, *extra: str) -> list[dict]:
    env = {**os.environ, "CAMPUS_DW_CONFIG": str(published.config)}
    cli = Path(sys.executable).parent / "campus-dw"
    out = subprocess.run(
        [str(cli), "quality", "--format", "json", *extra],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return json.loads(out.stdout)


# -- the tests ---------------------------------------------------------------------------------------


def test_page_renders_with_the_cli_counts(published: Published) -> None:
    at = open_quality()
    assert_clean(at)
    assert at.title[0].value == "数据质量"
    entries = cli_quality_json(published)
    assert entries and entries[0]["run_id"] == "run2"
    failing = {e["rule_id"]: e["failed_rows"] for e in entries if e["status"] in ("fail", "error")}
    assert failing, "the small demo college has defects: some rule must fail"
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["问题记录数"] == f"{sum(e['failed_rows'] for e in entries):,}"
    assert metrics["未通过规则"] == f"{len(failing):,}"
    assert metrics["已检查规则"] == f"{sum(1 for e in entries if e['status'] != 'skipped'):,}"
    # the rule table (failing rules only, by default) shows the CLI's failed rows rule by rule
    rules = table_in(at, "tbl_q_rules")
    shown = dict(zip(rules["规则编号"], rules["问题记录数"], strict=True))
    assert shown == failing
    # every rule with the switch off
    at.toggle(key="q_only_failing").set_value(False).run()
    assert_clean(at)
    rules = table_in(at, "tbl_q_rules")
    assert dict(zip(rules["规则编号"], rules["问题记录数"], strict=True)) == {
        e["rule_id"]: e["failed_rows"] for e in entries
    }
    # scorecard by steward sums to the same failed rows
    by_owner = table_in(at, "tbl_q_score_owner")
    assert int(by_owner["问题记录数"].sum()) == sum(e["failed_rows"] for e in entries)
    # two runs: the trend chart is drawn, and the caption names the latest run
    assert any("run2" in c.value for c in at.caption)
    charts = at.get("vega_lite_chart")
    assert charts
    import pyarrow as pa

    (dataset,) = charts[0].proto.datasets  # the system trend's points, as Arrow
    xs = set(pa.ipc.open_stream(dataset.data.data).read_all().column("x").to_pylist())
    assert len(xs) == 2, f"one point per run on the x axis (run1, run2): {xs}"
    # the quarantine holds the student row without a number, its name masked (no role)
    quarantine = table_in(at, "tbl_q_quarantine")
    assert len(quarantine) >= 1
    records = "\n".join(str(r) for r in quarantine["原始内容"])
    assert QUARANTINED_NAME not in records and QUARANTINED_ID not in records
    assert "欧***" in records
    # one export per steward
    keys = {b.key for b in at.download_button}
    for owner in ("academic_office", "hr_office", "finance_office", "payment_platform"):
        assert f"dl_q_xlsx_{owner}" in keys


def test_page_in_english(published: Published) -> None:
    at = open_quality(lang="en")
    assert_clean(at)
    assert at.title[0].value == "Data quality"
    assert "Failed rows" in {m.label for m in at.metric}
    rules = table_in(at, "tbl_q_rules")
    assert "Rule" in rules.columns and "Failed rows" in rules.columns


def _id_rule_rows(published: Published) -> list[tuple[str, str]]:
    return snapshot_query(
        published,
        "select cast(source_key as varchar), value from quality.failing_rows where run_id = 'run2' "
        "and rule_id = ? and value is not null order by 1",
        [ID_RULE],
    )


def test_failing_rows_masked_without_a_role(published: Published) -> None:
    raw = _id_rule_rows(published)
    assert raw, f"{ID_RULE} should fail on the small demo college"
    at = open_quality()
    assert "未设置数据管理员角色" in at.info[0].value
    at.selectbox(key="q_drill_rule").set_value(ID_RULE).run()
    assert_clean(at)
    rows = table_in(at, "tbl_q_rows")
    values = set(rows["问题值"])
    for _, value in raw:
        assert value not in values, "an ID number reached a viewer without a steward role"
    assert all("*" in v for v in values if v)
    guidance = "\n".join(m.value for m in at.markdown)
    assert "问题是什么" in guidance and "如何整改" in guidance
    from data_contracts.loader import all_rules

    fix = next(r.fix.zh for r in all_rules() if r.id == ID_RULE)
    assert fix.split("。")[0] in guidance


def test_owner_sees_own_rows_unmasked_and_only_own_system(
    published: Published, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CAMPUS_DW_VIEWER_STEWARD", "academic_office")
    raw = _id_rule_rows(published)
    at = open_quality()
    assert_clean(at)
    assert "教务处" in at.info[0].value
    at.selectbox(key="q_drill_rule").set_value(ID_RULE).run()
    rows = table_in(at, "tbl_q_rows")
    assert set(rows["问题值"]) == {v for _, v in raw}
    owners = set(table_in(at, "tbl_q_score_owner")["数据管理部门"])
    assert owners == {"教务处"}
    quarantine = table_in(at, "tbl_q_quarantine")
    assert any(QUARANTINED_NAME in str(r) for r in quarantine["原始内容"])
    keys = {b.key for b in at.download_button if b.key.startswith("dl_q_xlsx_")}
    assert keys == {"dl_q_xlsx_academic_office"}


def test_other_steward_sees_neither_the_rows_nor_the_quarantine(
    published: Published, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CAMPUS_DW_VIEWER_STEWARD", "hr_office")
    at = open_quality()
    assert_clean(at)
    rules = table_in(at, "tbl_q_rules")
    assert all(r.startswith(("hr.", "xsys.")) for r in rules["规则编号"])
    assert ID_RULE not in set(rules["规则编号"])
    text = "\n".join(str(e.value) for e in at.success)
    assert "隔离区中没有待处理的记录" in text  # the academic row is not the HR office's


def test_unknown_role_is_no_role(published: Published, monkeypatch: pytest.MonkeyPatch) -> None:
    from dashboards.auth import current_viewer

    monkeypatch.setenv("CAMPUS_DW_VIEWER_STEWARD", "dean")
    assert current_viewer() is None
    monkeypatch.setenv("CAMPUS_DW_VIEWER_STEWARD", "finance_office")
    assert current_viewer() == "finance_office"


def _workbook(reader, owner: str, viewer: str | None):
    from openpyxl import load_workbook

    from dashboards import quality_report as qr

    problems = qr.open_problems(reader, owner, viewer=viewer)
    data = qr.workbook_bytes(problems, lang="zh", viewer=viewer, institution="示范学院")
    return load_workbook(io.BytesIO(data)), problems


def test_steward_workbook_holds_the_open_rules(published: Published) -> None:
    from dashboards.snapshot import SnapshotReader
    from orchestration.settings import load_settings

    entries = cli_quality_json(published)
    expected = {
        e["rule_id"]: e["failed_rows"]
        for e in entries
        if e["owner"] == "academic_office" and e["status"] in ("fail", "error")
    }
    raw = dict(_id_rule_rows(published))
    with SnapshotReader(load_settings(published.config), kind="quality") as reader:
        wb, problems = _workbook(reader, "academic_office", None)
        assert wb.sheetnames == ["概况", "未通过规则", "问题记录", "隔离记录"]
        rules = list(wb["未通过规则"].iter_rows(values_only=True))
        header, body = rules[0], rules[1:]
        assert header[:2] == ("规则编号", "数据表") and "如何整改" in header
        failed_col = header.index("问题记录数")
        assert {r[0]: r[failed_col] for r in body} == expected
        how = header.index("如何整改")
        assert all(r[how] for r in body), "every failing rule carries fix guidance"
        rows = list(wb["问题记录"].iter_rows(values_only=True))
        assert len(rows) - 1 == sum(expected.values())
        assert {r[0] for r in rows[1:]} == set(expected)
        # no role: the ID numbers are masked in the file too
        cells = {str(c) for r in rows[1:] for c in r}
        assert not (set(raw.values()) & cells)
        quarantine = list(wb["隔离记录"].iter_rows(values_only=True))
        assert len(quarantine) == 2 and QUARANTINED_NAME not in str(quarantine[1])
        summary = {r[0]: r[1] for r in wb["概况"].iter_rows(min_row=3, max_row=15, values_only=True) if r[0]}
        assert summary["检查运行"] == "run2"
        assert summary["未通过规则"] == len(expected)
        assert "已遮蔽" in summary["个人信息"]

        # the owning steward gets the values
        wb, _ = _workbook(reader, "academic_office", "academic_office")
        cells = {str(c) for r in wb["问题记录"].iter_rows(min_row=2, values_only=True) for c in r}
        assert set(raw.values()) <= cells
        assert QUARANTINED_NAME in str(list(wb["隔离记录"].iter_rows(values_only=True))[1])


def test_cli_exports_one_workbook_per_steward(published: Published, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    env = {**os.environ, "CAMPUS_DW_CONFIG": str(published.config)}
    cli = Path(sys.executable).parent / "campus-dw"
    out = tmp_path / "xlsx"
    subprocess.run(
        [str(cli), "quality", "--export-xlsx", str(out)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    files = sorted(p.name for p in out.glob("*.xlsx"))
    assert files == sorted(
        f"quality_{o}_run2.xlsx"
        for o in ("academic_office", "hr_office", "finance_office", "payment_platform")
    )
    wb = load_workbook(out / "quality_hr_office_run2.xlsx")
    assert wb["概况"]["A1"].value == "组织人事处数据质量问题清单"
    only = tmp_path / "one"
    subprocess.run(
        [str(cli), "quality", "--export-xlsx", str(only), "--steward", "finance_office"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert [p.name for p in only.glob("*.xlsx")] == ["quality_finance_office_run2.xlsx"]


def test_no_quality_snapshot_page(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.dashboards.test_app import write_config

    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("CAMPUS_DW_CONFIG", str(write_config(tmp_path, home)))
    monkeypatch.delenv("CAMPUS_DW_HOME", raising=False)
    at = open_quality()
    assert_clean(at)
    assert at.title[0].value == "还没有数据质量结果"
    assert "campus-dw run" in "\n".join(c.value for c in at.code)


def test_stale_quality_snapshot_warns_and_data_docs_are_named(
    quality_published: Published, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.dashboards.test_app import BEIJING, write_config

    home = tmp_path / "home"
    snapshots = home / "quality" / "snapshots"
    snapshots.mkdir(parents=True)
    name = quality_published.snapshot.name
    shutil.copy(quality_published.snapshot, snapshots / name)
    published_at = dt.datetime.now(BEIJING) - dt.timedelta(hours=50)
    pointer = {"snapshot": name, "run_id": "run2", "published_at": published_at.isoformat(), "checksum": None}
    (home / "quality" / "CURRENT").write_text(json.dumps(pointer), encoding="utf-8")
    from data_contracts.data_docs import docs_dir

    index = docs_dir(home / "quality", "run2") / "index.html"  # the run's GX Data Docs, as if built
    index.parent.mkdir(parents=True)
    index.write_text("<html></html>", encoding="utf-8")
    monkeypatch.setenv("CAMPUS_DW_CONFIG", str(write_config(tmp_path, home)))
    monkeypatch.delenv("CAMPUS_DW_HOME", raising=False)
    at = open_quality()
    assert_clean(at)
    assert at.title[0].value == "数据质量"
    assert any("小时未更新" in w.value for w in at.sidebar.warning)
    assert any(str(index) in c.value for c in at.caption), "the run's Data Docs are linked"
    assert any(published_at.strftime("%Y-%m-%d %H:%M") in m.value for m in at.sidebar.markdown)


def test_scorecard_counts_and_an_empty_workbook() -> None:
    import pandas as pd
    from openpyxl import load_workbook

    from dashboards import quality_data as qd
    from dashboards import quality_report as qr

    res = pd.DataFrame(
        {
            "rule_id": ["a.t.x.not_null", "a.t.y.in_set", "a.u.pk_unique", "h.s.z.range", "a.v.w.type"],
            "system": ["academic", "academic", "academic", "hr", "academic"],
            "table_name": ["t", "t", "u", "s", "v"],
            "owner": ["academic_office"] * 3 + ["hr_office", "academic_office"],
            "severity": ["error", "warn", "blocking", "error", "error"],
            "status": ["fail", "fail", "pass", "pass", "skipped"],
            "checked_rows": [100, 100, 50, 10, 0],
            "failed_rows": [3, 7, 0, 0, 0],
        }
    )
    by_system = qd.scorecard(res, ["system"]).set_index("system")
    assert by_system.loc["academic", "rules_checked"] == 3  # the skipped rule is not counted
    assert by_system.loc["academic", "rules_failed"] == 2
    assert by_system.loc["academic", ["blocking_failed", "error_failed", "warn_failed"]].tolist() == [0, 1, 1]
    assert by_system.loc["academic", "failed_rows"] == 10
    assert by_system.loc["academic", "failure_rate"] == pytest.approx(10 / 250)
    assert by_system.loc["academic", "worst_severity"] == "error"
    assert by_system.loc["hr", "rules_failed"] == 0 and pd.isna(by_system.loc["hr", "worst_severity"])
    assert list(qd.for_viewer(res, "hr_office")["rule_id"]) == ["h.s.z.range"]
    assert qd.split_fix("甲是什么。乙很重要。丙也重要。请在系统中更正。") == (
        "甲是什么。",
        "乙很重要。丙也重要。",
        "请在系统中更正。",
    )

    empty = res.iloc[0:0].assign(column_name=None, failure_rate=None, sample_keys=None, checked_at=None)
    problems = qr.Problems(
        "hr_office",
        None,
        None,
        empty,
        qd.failing_rows(None, "", []),
        0,
        pd.DataFrame(
            columns=["quarantine_id", "system", "table_name", "owner", "source_ref", "reason", "record"]
        ).assign(quarantined_at=None, run_id=None),
        qd.scorecard(empty, ["system", "table_name"]),
    )
    wb = load_workbook(io.BytesIO(qr.workbook_bytes(problems, lang="en", viewer=None)))
    assert wb.sheetnames == ["Summary", "Failing rules", "Failing rows", "Quarantine"]
    assert wb["Summary"]["A1"].value == "Data quality: open problems for the HR office"
    assert wb["Failing rows"].max_row == 1  # the header only
