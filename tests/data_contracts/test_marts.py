"""Mart contracts: one per published mart, dbt tests generated from them, GX checks after dbt build."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pytest
import yaml

from data_contracts.dbt_tests import MARTS_MODELS_DIR, differences, relational_tests, rewrite, sync
from data_contracts.gx_suites import expectation_specs
from data_contracts.loader import OWNERS, ContractError, _parse_contract, load_code_sets, load_mart_contracts

ROOT = Path(__file__).resolve().parents[2]


def _published_models() -> set[str]:
    out = set()
    for f in MARTS_MODELS_DIR.glob("*/*.yml"):
        for m in yaml.safe_load(f.read_text(encoding="utf-8")).get("models", []):
            meta = (m.get("config") or {}).get("meta") or {}
            if not meta.get("restricted"):
                out.add(m["name"])
    return out


def test_one_contract_per_published_mart():
    marts = load_mart_contracts()
    assert {c.table for c in marts.values()} == _published_models()
    for c in marts.values():
        assert c.system == "marts" and c.owner in OWNERS and c.is_mart
        assert (ROOT / "data_contracts" / "marts" / f"{c.table}.yml").exists()
        assert c.raw_table == f'marts."{c.table}"'
        for r in c.rules:
            assert r.id.startswith(f"marts.{c.table}.") and r.fix.zh and r.fix.en
            assert r.kind in ("not_null", "in_set", "regex", "between", "expression"), r.id


def test_owners_follow_the_source_system():
    m = {c.table: c.owner for c in load_mart_contracts().values()}
    assert m["fct_tuition_bills"] == m["agg_tuition"] == "payment_platform"
    assert m["fct_budget_lines"] == m["fct_expenditure_lines"] == "finance_office"
    assert m["agg_payroll"] == m["dim_org_unit"] == "hr_office"
    assert m["agg_pass_rates"] == m["fct_kpi_values"] == "academic_office"


def test_dbt_tests_are_generated_from_the_contracts():
    """No rule lives in two hand-kept places: the dbt yml of a contracted mart holds exactly the
    relational tests its contract generates (no not_null / accepted_values: those are GX's)."""
    assert sync(write=False) == []
    c = load_mart_contracts()["marts.fct_kpi_values"]
    model, cols = relational_tests(c)
    assert model == [{"unique_key": {"arguments": {"columns": list(c.primary_key)}}}]
    assert cols == {"kpi_id": [{"relationships": {"arguments": {"to": "ref('dim_kpi')", "field": "kpi_id"}}}]}
    # a contract change shows up as a difference, and --write's rewrite puts it in the yml
    path = MARTS_MODELS_DIR / "kpi" / "dim_kpi.yml"
    dim = load_mart_contracts()["marts.dim_kpi"]
    changed = dim.__class__(
        **{**dim.__dict__, "primary_key": ("institution_code", "kpi_id", "sort_order"), "rules": dim.rules}
    )
    assert differences(changed, path)
    new = rewrite(path.read_text(encoding="utf-8"), changed)
    tmp_model = yaml.safe_load(new)["models"][0]
    assert tmp_model["data_tests"][0]["unique_key"]["arguments"]["columns"][-1] == "sort_order"
    assert [t for c in tmp_model["columns"] for t in c.get("data_tests", [])] == ["unique"]  # kpi_id unique


def test_mart_suites_generated():
    for c in load_mart_contracts().values():
        specs = expectation_specs(c.rules)
        assert len(specs) == len(c.rules)
        assert all(s["meta"]["table"] == c.key for s in specs)


def test_mart_contract_validation(tmp_path):
    d = tmp_path / "marts"
    d.mkdir()
    p = d / "m.yml"
    base = "system: marts\ntable: m\nowner: hr_office\nprimary_key: [a]\ncolumns:\n  a: {type: varchar, nullable: false}\n"
    p.write_text(base + "  b: {type: integer, references: 'nope'}\n", encoding="utf-8")
    with pytest.raises(ContractError, match=r"columns\.b\.references"):
        _parse_contract(p, load_code_sets())
    p.write_text(base + "raw: {current: by_key}\n", encoding="utf-8")
    with pytest.raises(ContractError, match="raw"):
        _parse_contract(p, load_code_sets())
    p.write_text(base + "  b: {type: integer, values: [1, 2], range: [0, 9]}\n", encoding="utf-8")
    c = _parse_contract(p, load_code_sets())
    assert {r.id: r.severity for r in c.rules} == {
        "marts.m.a.not_null": "blocking",  # a key column
        "marts.m.b.in_set": "error",
        "marts.m.b.range": "error",
    }


@pytest.fixture(scope="module")
def built_marts(small_pipeline, tmp_path_factory) -> Path:
    """A copy of the small pipeline's warehouse (marts built, checks run by the pipeline itself)."""
    from orchestration.settings import load_settings

    cfg, outcome = small_pipeline
    assert outcome.success, outcome.message
    settings = load_settings(cfg)
    copy = tmp_path_factory.mktemp("marts") / "warehouse.duckdb"
    shutil.copy(settings.warehouse_path, copy)
    return copy


@pytest.mark.slow
def test_pipeline_built_the_runs_data_docs(small_pipeline):
    from data_contracts.data_docs import LATEST, docs_index
    from orchestration.publish import QUALITY, current_snapshot
    from orchestration.settings import load_settings

    cfg, outcome = small_pipeline
    settings = load_settings(cfg)
    index = docs_index(settings.quality_dir, outcome.run_id)
    assert index is not None, list(settings.quality_dir.rglob("*"))[:20]
    assert index.parent.parent == settings.quality_dir / "data_docs"
    assert docs_index(settings.quality_dir) == index  # LATEST.json names it
    assert json.loads((index.parent.parent / LATEST).read_text())["run_id"] == outcome.run_id
    assert current_snapshot(settings, QUALITY).run_id == outcome.run_id
    html = index.read_text(encoding="utf-8")
    assert "academic.xsjbsj" in html or "academic/xsjbsj" in html
    assert "marts.fct_kpi_values" in html or "marts/fct_kpi_values" in html


@pytest.mark.slow
def test_pipeline_ran_the_mart_checks(built_marts):
    con = duckdb.connect(str(built_marts), read_only=True)
    try:
        rows = con.execute(
            "select table_name, count(*), count(*) filter (where status = 'pass') from quality.check_results "
            "where system = 'marts' group by 1"
        ).fetchall()
    finally:
        con.close()
    tables = {t for t, _n, _p in rows}
    assert tables == {c.table for c in load_mart_contracts().values()}
    # the clean marts of the demo pass every rule
    assert all(n == passed for _t, n, passed in rows), rows


@pytest.mark.slow
def test_mart_defect_reported_with_table_and_key(built_marts):
    from data_contracts.runner import run_mart_checks

    con = duckdb.connect(str(built_marts))
    try:
        key = con.execute(
            "select institution_code, kpi_id, academic_year, fiscal_year from marts.fct_kpi_values "
            "where kpi_id = 'degree_award_rate' and value is not null order by academic_year limit 1"
        ).fetchone()
        con.execute(
            "update marts.fct_kpi_values set value = 1.25 where kpi_id = ? and academic_year = ?",
            [key[1], key[2]],
        )
        con.execute(
            "update marts.agg_pass_rates set term = 3 where rowid = (select min(rowid) from marts.agg_pass_rates)"
        )
        rep = run_mart_checks(con, "defect-run", marts=["fct_kpi_values", "agg_pass_rates", "dim_kpi"])
        failed = {r.rule_id: r for r in rep.results if r.status == "fail"}
        assert set(failed) == {
            "marts.fct_kpi_values.share_within_0_1",  # blocking
            "marts.fct_kpi_values.value_is_numerator_over_denominator",
            "marts.agg_pass_rates.term.in_set",
        }, failed
        assert rep.blocking_failed and not rep.mismatches
        share = failed["marts.fct_kpi_values.share_within_0_1"]
        assert share.failed_rows == 1 and share.severity == "blocking" and share.owner == "academic_office"
        expected_key = dict(
            zip(["institution_code", "kpi_id", "academic_year", "fiscal_year"], key, strict=True)
        )
        assert share.sample_keys == [expected_key]
        rows = con.execute(
            "select table_name, source_key, value from quality.failing_rows where run_id = 'defect-run' "
            "and rule_id = 'marts.fct_kpi_values.share_within_0_1'"
        ).fetchall()
        assert [(t, json.loads(k), float(v)) for t, k, v in rows] == [("fct_kpi_values", expected_key, 1.25)]
        assert con.execute(
            "select count(*) from quality.check_results where run_id = 'defect-run' and system = 'marts'"
        ).fetchone()[0] == len(rep.results)
    finally:
        con.close()


def _mart_table(con: duckdb.DuckDBPyConnection, mart: str, rows: list[dict]) -> None:
    c = load_mart_contracts()[f"marts.{mart}"]
    con.execute("create schema if not exists marts")
    cols = ", ".join(f'"{n}" {s.type}' for n, s in c.columns.items())
    con.execute(f'create or replace table marts."{mart}" ({cols})')
    for r in rows:
        names = ", ".join(f'"{k}"' for k in r)
        con.execute(
            f'insert into marts."{mart}" ({names}) values ({", ".join("?" for _ in r)})', list(r.values())
        )


def test_data_docs_built_per_run_with_personal_values_masked(tmp_path):
    """A real GX run on a tiny mart, its results saved, the Data Docs site built, old runs pruned."""
    from data_contracts import data_docs
    from data_contracts.runner import run_mart_checks

    wh = tmp_path / "wh.duckdb"
    con = duckdb.connect(str(wh))
    bill = {
        "institution_code": "4100000001",
        "bill_id": "B1",
        "student_id": "2021001",
        "item_code": "01",
        "academic_year": 2025,
        "academic_year_label": "2025-2026",
        "amount_due": 5000,
        "amount_waived": 0,
        "amount_paid": 5000,
        "amounts_are_valid": True,
        "status": "paid",
        "is_tuition": True,
        "is_refunded": False,
        "is_known_student": True,
    }
    _mart_table(con, "fct_tuition_bills", [bill, {**bill, "bill_id": "B2", "amount_paid": -987654.32}])
    _mart_table(
        con,
        "dim_term",
        [
            {
                "institution_code": "4100000001",
                "term_code": "2025-2026-1",
                "academic_year": 2025,
                "term_no": 7,
                "starts_on": "2025-09-01",
                "ends_on": "2026-01-31",
            }
        ],
    )
    quality = tmp_path / "quality"
    out = data_docs.results_dir(quality, "run-1")
    rep = run_mart_checks(con, "run-1", marts=["fct_tuition_bills", "dim_term"], gx_results_dir=out)
    con.close()
    failed = {r.rule_id for r in rep.results if r.status == "fail"}
    assert {"marts.fct_tuition_bills.amount_paid.range", "marts.dim_term.term_no.in_set"} <= failed
    assert sorted(p.name for p in out.glob("*.json")) == [
        "marts.dim_term.json",
        "marts.fct_tuition_bills.json",
    ]
    saved = (out / "marts.fct_tuition_bills.json").read_text(encoding="utf-8")
    assert "987654" not in saved and "****" in saved  # amount_paid is personal: masked
    term = json.loads((out / "marts.dim_term.json").read_text(encoding="utf-8"))["result"]
    (in_set,) = [
        r
        for r in term["results"]
        if r["expectation_config"]["meta"]["rule_id"] == "marts.dim_term.term_no.in_set"
    ]
    assert in_set["result"]["partial_unexpected_list"] == [7]  # not personal: shown as is

    info = data_docs.build_run_docs(quality, "run-1")
    index = data_docs.docs_index(quality, "run-1")
    assert index is not None and info["index"] == str(index) and data_docs.docs_index(quality) == index
    pages = list(index.parent.rglob("*.html"))
    assert len(pages) >= 3  # index + one page per validated table
    html = "".join(p.read_text(encoding="utf-8") for p in pages)
    assert "fct_tuition_bills" in html and "dim_term" in html and "987654" not in html
    # pruning keeps only the runs named
    (quality / "data_docs" / "old-run").mkdir()
    (quality / "gx_results" / "old-run").mkdir()
    assert sorted(data_docs.prune(quality, ["run-1"])) == ["data_docs/old-run", "gx_results/old-run"]
    assert data_docs.docs_index(quality, "run-1") == index
    assert data_docs.docs_index(quality, "old-run") is None
    # a run stopped by a blocking failure has docs but no snapshot: the newest sites are kept too
    import os

    for n, name in enumerate(["older-blocked", "newer-blocked"]):
        (quality / "data_docs" / name).mkdir()
        os.utime(quality / "data_docs" / name, (2_000_000_000 + n, 2_000_000_000 + n))
    assert data_docs.prune(quality, ["run-1"], keep_newest=1) == ["data_docs/older-blocked"]
    assert (quality / "data_docs" / "newer-blocked").is_dir() and index.is_file()
