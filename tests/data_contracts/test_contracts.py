"""Contracts load, cover every source table, and generate matching GX suites."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from data_contracts.gx_suites import GX_TYPES, df_column, expectation_specs
from data_contracts.loader import (
    OWNERS,
    SEVERITIES,
    ContractError,
    _parse_contract,
    all_rules,
    load_code_sets,
    load_contracts,
    load_cross_system,
)

ROOT = Path(__file__).resolve().parents[2]
SOURCE_TABLES = {
    "academic": ["dm_yxs", "zyxx", "bjxx", "xsjbsj", "xjyd", "kcxx", "jxrw", "cjxx", "byxx", "byqx"],
    "hr": ["zzjg", "jzgjbxx", "zcbd", "wpjs", "gzff"],
    "finance": ["budget", "ledger"],
    "payment": ["bills"],
}


def test_every_source_table_has_a_contract():
    contracts = load_contracts()
    expected = {f"{s}.{t}" for s, ts in SOURCE_TABLES.items() for t in ts}
    assert set(contracts) == expected
    for key in expected:
        s, t = key.split(".")
        assert (ROOT / "data_contracts" / "sources" / s / f"{t}.yml").exists()


def test_contracts_agree_with_the_extractors_catalogue():
    cat = yaml.safe_load((ROOT / "data_contracts" / "source_tables.yml").read_text(encoding="utf-8"))
    contracts = load_contracts()
    for s, sdef in cat["systems"].items():
        for t, tdef in sdef["tables"].items():
            c = contracts[f"{s}.{t}"]
            assert list(c.columns) == list(tdef["columns"])
            assert list(c.primary_key) == tdef["primary_key"]
            assert c.owner == sdef["owner"]


def test_every_rule_is_complete_and_unique():
    rules = all_rules()
    assert len(rules) > 250
    ids = [r.id for r in rules]
    assert len(ids) == len(set(ids))
    for r in rules:
        assert r.severity in SEVERITIES, r.id
        assert r.owner in OWNERS, r.id
        assert r.fix.zh or r.fix.en, r.id
        assert r.description, r.id
    # blocking only for what makes published numbers wrong: keys
    for r in rules:
        if r.severity == "blocking":
            assert r.kind in ("not_null", "unique", "compound_unique") or "unique" in r.id, r.id


def test_required_rules_exist():
    ids = {r.id for r in all_rules()}
    for rid in [
        "finance.budget.adjusted_equals_initial_plus_adjustment",
        "hr.jzgjbxx.lzrq_not_before_lxrq",
        "academic.xsjbsj.csrq_valid",
        "academic.xsjbsj.sfzjh_valid",
        "academic.xsjbsj.sfzjh_birth_agrees",
        "academic.xsjbsj.sfzjh_sex_agrees",
        "academic.cjxx.kscj_valid",
        "academic.xsjbsj.gxsj.not_future",
        "academic.xjyd.after_leaving",
        "hr.jzgjbxx.title_agrees_with_zcbd",
        "finance.ledger.date_in_file_month",
        "xsys.dm_yxs.unit_in_hr",
        "xsys.ledger.unit_in_hr",
        "xsys.budget.unit_in_hr",
        "xsys.jxrw.teacher_in_hr",
        "xsys.bills.student_known",
        "xsys.person.consistent_student",
        "academic.cjxx.cjid.unique",
    ]:
        assert rid in ids, rid


def test_code_sets_follow_codes_md():
    sets = load_code_sets()
    assert sets["gender"] == ("0", "1", "2", "9")
    assert len(sets["ethnicity"]) == 58
    assert sets["xjztm"] == tuple(f"0{i}" for i in range(1, 8))


def test_generated_suites_match_contracts():
    for key, c in load_contracts().items():
        rules = [r for r in all_rules() if r.table_key == key]
        specs = expectation_specs(rules)
        assert [s["meta"]["rule_id"] for s in specs] == [r.id for r in rules]
        for r, s in zip(rules, specs, strict=True):
            assert s["type"] == GX_TYPES[r.kind]
            assert s["meta"]["severity"] == r.severity
            if r.kind == "in_set":
                assert s["kwargs"]["value_set"] == list(r.params["value_set"])
            if r.kind == "regex":
                assert s["kwargs"]["regex"] == c.columns[r.column].pattern
            if r.kind == "expression":
                assert s["kwargs"] == {"column": df_column(r), "value_set": [True]}
        for name, col in c.columns.items():
            if not col.nullable:
                assert f"{key}.{name}.not_null" in {r.id for r in rules}
            if col.code_set:
                assert f"{key}.{name}.in_set" in {r.id for r in rules}


def test_cross_system_rules_name_their_table():
    for r in load_cross_system():
        assert r.id.startswith("xsys.")
        assert r.table_key in load_contracts()


@pytest.mark.parametrize(
    ("patch", "expected"),
    [
        ({"owner": "nobody"}, "owner"),
        ({"columns": {"xh": {"type": "varchar(16)", "nulable": False}}}, "columns.xh.nulable"),
        ({"columns": {"xh": {"type": "varchar(16)", "code_set": "nope"}}}, "columns.xh.code_set"),
        (
            {
                "rules": [
                    {
                        "id": "academic.xsjbsj.x",
                        "severity": "fatal",
                        "check": "true",
                        "fix": "f",
                        "description": "d",
                    }
                ]
            },
            "rules[academic.xsjbsj.x].severity",
        ),
    ],
)
def test_invalid_contract_messages_name_file_and_key(tmp_path, patch, expected):
    d = tmp_path / "academic"
    d.mkdir()
    base = {
        "system": "academic",
        "table": "xsjbsj",
        "owner": "academic_office",
        "primary_key": ["xh"],
        "columns": {"xh": {"type": "varchar(16)", "nullable": False}},
    }
    base.update(patch)
    p = d / "xsjbsj.yml"
    p.write_text(yaml.safe_dump(base, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ContractError) as exc:
        _parse_contract(p, load_code_sets())
    assert str(p) in str(exc.value)
    assert expected in str(exc.value)
