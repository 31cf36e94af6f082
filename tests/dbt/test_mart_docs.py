"""The marts' documentation and keys, from dbt's manifest (``dbt parse``, no warehouse needed):
every mart states its grain and primary key (with institution_code), has an enforced contract and
a unique_key test on exactly that key, and describes every column; the published aggregates and
dimensions of docs/marts-for-dashboards.md all exist and are not restricted."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROJECT_DIR = ROOT / "dbt_project"
CONTRACT_DOC = ROOT / "docs" / "marts-for-dashboards.md"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def manifest(tmp_path_factory: pytest.TempPathFactory) -> dict:
    from dbt.cli.main import dbtRunner

    tmp = tmp_path_factory.mktemp("dbt_parse")
    mp = pytest.MonkeyPatch()
    mp.setenv("CAMPUS_DW_WAREHOUSE", str(tmp / "warehouse.duckdb"))
    mp.setenv("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    try:
        res = dbtRunner().invoke(
            [
                "parse",
                "--project-dir",
                str(PROJECT_DIR),
                "--profiles-dir",
                str(PROJECT_DIR),
                "--target-path",
                str(tmp / "target"),
                "--log-path",
                str(tmp / "logs"),
            ]
        )
        assert res.success, res.exception
    finally:
        mp.undo()
    return json.loads((tmp / "target" / "manifest.json").read_text(encoding="utf-8"))


def _marts(manifest: dict) -> list[dict]:
    return [n for n in manifest["nodes"].values() if n["resource_type"] == "model" and n["schema"] == "marts"]


def test_every_mart_column_is_described_and_typed(manifest: dict) -> None:
    marts = _marts(manifest)
    assert len(marts) >= 35
    for node in marts:
        assert node["description"].strip(), node["name"]
        assert node["config"]["contract"]["enforced"], node["name"]
        assert node["columns"], node["name"]
        for name, col in node["columns"].items():
            assert (col.get("description") or "").strip(), f"{node['name']}.{name}: no description"
            assert col.get("data_type"), f"{node['name']}.{name}: no data_type (contract)"


def test_every_mart_states_grain_and_key_with_institution_code(manifest: dict) -> None:
    unique_keys: dict[str, list[list[str]]] = {}
    for node in manifest["nodes"].values():
        if node["resource_type"] == "test" and node.get("test_metadata", {}).get("name") == "unique_key":
            model = node.get("attached_node") or ""
            kwargs = node["test_metadata"].get("kwargs", {})
            unique_keys.setdefault(model, []).append(list(kwargs.get("columns") or []))
    for node in _marts(manifest):
        meta = node["config"].get("meta") or {}
        assert meta.get("grain"), node["name"]
        pk = meta.get("primary_key")
        assert pk and pk[0] == "institution_code", node["name"]
        assert set(pk) <= set(node["columns"]), node["name"]
        assert pk in unique_keys.get(node["unique_id"], []), f"{node['name']}: no unique_key test on {pk}"
        assert "restricted" in meta, node["name"]


def test_contract_tables_exist_published_with_their_grain(manifest: dict) -> None:
    by_name = {n["name"]: n for n in _marts(manifest)}
    rows = re.findall(
        r"^\| `((?:agg|dim)_[a-z_]+)` \| ([^|]+) \|", CONTRACT_DOC.read_text(encoding="utf-8"), re.M
    )
    assert len(rows) >= 17
    for table, grain in rows:
        assert table in by_name, f"{table} of the dashboards' contract is missing"
        node = by_name[table]
        assert not (node["config"].get("meta") or {}).get("restricted"), f"{table} must be published"
        pk = node["config"]["meta"]["primary_key"]
        grain_cols = [c.strip(" `") for c in re.sub(r"\([^)]*\)", "", grain).split(",")]
        for col in grain_cols:
            assert col in pk, f"{table}: grain column {col} not in the primary key {pk}"
            assert col in node["columns"], f"{table}: grain column {col} missing"


def test_person_level_marts_are_restricted(manifest: dict) -> None:
    for node in _marts(manifest):
        names = set(node["columns"])
        if names & {"person_key", "staff_id", "external_teacher_id"}:
            assert (node["config"].get("meta") or {}).get("restricted") is True, node["name"]
    payroll = next(n for n in _marts(manifest) if n["name"] == "agg_payroll")
    assert payroll["config"]["meta"].get("group_size_column") == "staff_paid"
