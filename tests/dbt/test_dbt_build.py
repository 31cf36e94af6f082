"""dbt project: `dbt build` (models, seeds, data tests, unit tests) on an empty raw schema, and
`dbt docs generate`, in a temporary warehouse, through dbt's programmatic runner."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from extractors.raw_schema import create_raw_schema

PROJECT_DIR = Path(__file__).resolve().parents[2] / "dbt_project"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def dbt_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("dbt")
    warehouse = tmp / "warehouse.duckdb"
    con = duckdb.connect(str(warehouse))
    try:
        create_raw_schema(con)
    finally:
        con.close()
    mp = pytest.MonkeyPatch()
    mp.setenv("CAMPUS_DW_WAREHOUSE", str(warehouse))
    mp.setenv("CAMPUS_DW_DUCKDB_EXT_DIR", str(tmp / "duckdb_extensions"))
    mp.setenv("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    yield {"warehouse": warehouse, "target": tmp / "target", "logs": tmp / "logs"}
    mp.undo()


def _invoke(args: list[str], env: dict[str, Path]):
    from dbt.cli.main import dbtRunner

    common = [
        "--project-dir",
        str(PROJECT_DIR),
        "--profiles-dir",
        str(PROJECT_DIR),
        "--target-path",
        str(env["target"]),
        "--log-path",
        str(env["logs"]),
    ]
    return dbtRunner().invoke([*args, *common])


@pytest.mark.timeout(300)
def test_dbt_build_on_empty_raw(dbt_env: dict[str, Path]) -> None:
    res = _invoke(["build"], dbt_env)
    assert res.exception is None, res.exception
    failed = [
        f"{r.node.unique_id}: {r.status} {r.message}"
        for r in res.result
        if r.status not in ("success", "pass")
    ]
    assert res.success, "\n".join(failed)
    unit_tests = [r for r in res.result if "unit_test" in str(r.node.resource_type)]
    assert len(unit_tests) >= 18


@pytest.mark.timeout(300)
def test_dbt_docs_generate_describes_every_mart_column(dbt_env: dict[str, Path]) -> None:
    res = _invoke(["docs", "generate"], dbt_env)
    assert res.success, res.exception
    manifest = json.loads((dbt_env["target"] / "manifest.json").read_text(encoding="utf-8"))
    catalog = json.loads((dbt_env["target"] / "catalog.json").read_text(encoding="utf-8"))
    marts = [
        n for n in manifest["nodes"].values() if n["resource_type"] == "model" and n["schema"] == "marts"
    ]
    assert marts
    for node in marts:
        assert node["description"], node["unique_id"]
        assert node["config"]["contract"]["enforced"], node["unique_id"]
        built = catalog["nodes"][node["unique_id"]]["columns"]
        documented = {c.lower() for c, col in node["columns"].items() if col.get("description")}
        missing = {c.lower() for c in built} - documented
        assert not missing, f"{node['name']}: undocumented columns {sorted(missing)}"

    # the indicator mart's interface (docs/architecture.md)
    kpi = catalog["nodes"]["model.campus_dw.fct_kpi_values"]["columns"]
    types = [(c["name"], c["type"]) for c in sorted(kpi.values(), key=lambda c: c["index"])]
    assert types == [
        ("institution_code", "VARCHAR"),
        ("kpi_id", "VARCHAR"),
        ("academic_year", "INTEGER"),
        ("fiscal_year", "INTEGER"),
        ("value", "DECIMAL(38,4)"),
        ("numerator", "DECIMAL(38,6)"),
        ("denominator", "DECIMAL(38,6)"),
    ]
