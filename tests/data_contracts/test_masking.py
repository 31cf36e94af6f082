"""Personal fields: marked in the contracts, masked for everyone but the owning steward."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from data_contracts.loader import ContractError, _parse_contract, load_code_sets, load_contracts
from data_contracts.masking import (
    FULL_MASK,
    mask_failing_rows,
    mask_quality_rows,
    mask_sample_keys,
    mask_value,
)

ID = "110101199003074518"


def test_personal_columns_marked_in_the_source_contracts():
    c = load_contracts()
    assert c["academic.xsjbsj"].personal_columns == frozenset({"xm", "csrq", "sfzjh", "sjhm"})
    assert c["academic.xsjbsj"].personal_kinds["sfzjh"] == "id_number"
    assert {"xm", "csrq", "sfzjh"} <= c["hr.jzgjbxx"].personal_columns
    assert c["hr.jzgjbxx"].personal_kinds["csrq"] == "birth_date"
    assert {"xm", "sfzjh"} <= c["hr.wpjs"].personal_columns
    assert {"jbgz", "jxgz", "jt", "yfhj", "kkhj", "sfhj"} <= c["hr.gzff"].personal_columns
    assert {"amount_paid", "amount_waived"} <= c["payment.bills"].personal_columns
    # keys and codes are not personal
    assert not {"xh", "gh", "yxsh", "xbm"} & c["academic.xsjbsj"].personal_columns
    assert c["academic.dm_yxs"].personal_columns == frozenset()


def test_personal_value_is_validated(tmp_path):
    d = tmp_path / "academic"
    d.mkdir()
    p = d / "t.yml"
    p.write_text(
        "system: academic\ntable: t\nowner: academic_office\nprimary_key: [a]\n"
        "columns:\n  a: {type: text}\n  b: {type: text, personal: true}\n  c: {type: text, personal: name}\n",
        encoding="utf-8",
    )
    c = _parse_contract(p, load_code_sets())
    assert c.personal_kinds == {"b": "other", "c": "name"}
    p.write_text(
        p.read_text(encoding="utf-8").replace("personal: name", "personal: nickname"), encoding="utf-8"
    )
    with pytest.raises(ContractError, match=r"columns\.c\.personal"):
        _parse_contract(p, load_code_sets())


@pytest.mark.parametrize(
    "value,kind,expected",
    [
        ("张三", "name", "张*"),
        ("欧阳修文", "name", "欧***"),
        ("李", "name", "李*"),
        (" 王五 ", "name", "王*"),
        (ID, "id_number", "110101**********18"),
        ("11010119900307451x", "id_number", "110101**********1x"),
        ("12345", "id_number", FULL_MASK),
        ("13812345678", "phone", "138****5678"),
        ("1381234", "phone", FULL_MASK),
        ("1990-03-07", "birth_date", FULL_MASK),
        ("8560.50", "amount", FULL_MASK),
        ("6222021234567890", "bank_account", FULL_MASK),
        ("a@b.cn", "email", FULL_MASK),
        ("北京市东城区", None, FULL_MASK),
        ("whatever", "no_such_kind", FULL_MASK),
        (None, "name", ""),
        ("", "name", ""),
        ("   ", "phone", ""),
        (Decimal("8560.50"), "amount", FULL_MASK),
        (13812345678, "phone", "138****5678"),
        (dt.date(1990, 3, 7), "birth_date", FULL_MASK),
    ],
)
def test_mask_value(value, kind, expected):
    assert mask_value(value, kind) == expected


def test_mask_value_never_raises():
    class Odd:
        def __str__(self):
            raise RuntimeError("no text")

    assert mask_value(Odd(), "name") == FULL_MASK
    assert mask_value(["x"], "name") == "[****"  # masked as its text "['x']"
    assert mask_value(float("nan"), "phone") == FULL_MASK


def _rows():
    return [
        {
            "rule_id": "academic.xsjbsj.sfzjh_valid",
            "system": "academic",
            "table_name": "xsjbsj",
            "source_key": json.dumps({"xh": "2021001"}),
            "column_name": "sfzjh",
            "value": ID,
            "reason": "…",
        },
        {
            "rule_id": "academic.xsjbsj.nj.range",
            "system": "academic",
            "table_name": "xsjbsj",
            "source_key": {"xh": "2021002"},
            "column_name": "nj",
            "value": "3021",
            "reason": "…",
        },
        {
            "rule_id": "academic.xsjbsj.xm.not_null",
            "system": "academic",
            "table_name": "xsjbsj",
            "source_key": {"xh": "2021003"},
            "column_name": "xm",
            "value": None,
            "reason": "…",
        },
    ]


def test_failing_rows_masked_for_everyone_but_the_owner():
    c = load_contracts()["academic.xsjbsj"]
    rows = _rows()
    for viewer in (None, "hr_office", "finance_office", "payment_platform"):
        masked = mask_failing_rows(rows, c, viewer, c.owner)
        assert masked[0]["value"] == "110101**********18"
        assert masked[1]["value"] == "3021"  # not a personal column
        assert masked[2]["value"] is None  # an empty value stays empty
        assert masked[0]["source_key"] == json.dumps({"xh": "2021001"})  # xh is not personal
    own = mask_failing_rows(rows, c, "academic_office", c.owner)
    assert own == rows and own[0] is not rows[0]
    assert rows[0]["value"] == ID  # the input is not changed
    # a set of column names works too (kind 'other': fully masked)
    assert mask_failing_rows(rows, {"sfzjh"}, None, "academic_office")[0]["value"] == FULL_MASK


def test_personal_fields_inside_keys_are_masked():
    kinds = {"sfzjh": "id_number", "xm": "name"}
    rows = [
        {"column_name": "x", "value": "1", "source_key": json.dumps({"sfzjh": ID, "xm": "张三", "n": 1})},
        {"column_name": "x", "value": "1", "source_key": {"sfzjh": ID, "xm": None}},
    ]
    out = mask_failing_rows(rows, kinds, "hr_office", "academic_office")
    assert json.loads(out[0]["source_key"]) == {"sfzjh": "110101**********18", "xm": "张*", "n": 1}
    assert out[1]["source_key"] == {"sfzjh": "110101**********18", "xm": None}
    keys = [{"sfzjh": ID}, {"sfzjh": "12"}]
    assert mask_sample_keys(keys, kinds, None, "academic_office") == [
        {"sfzjh": "110101**********18"},
        {"sfzjh": FULL_MASK},
    ]
    assert json.loads(mask_sample_keys(json.dumps(keys), kinds, None, "academic_office"))[0]["sfzjh"] != ID
    assert mask_sample_keys(keys, kinds, "academic_office", "academic_office") == keys
    assert mask_sample_keys(None, kinds, None, "academic_office") is None
    assert mask_sample_keys("not json", kinds, None, "academic_office") == "not json"


def test_mixed_rows_use_each_tables_owner():
    rows = _rows() + [
        {
            "rule_id": "hr.gzff.yfhj.type",
            "system": "hr",
            "table_name": "gzff",
            "source_key": {"ffid": 7},
            "column_name": "yfhj",
            "value": "8,560.5x",
        }
    ]
    hr_view = mask_quality_rows(rows, "hr_office")
    assert hr_view[0]["value"] != ID and hr_view[3]["value"] == "8,560.5x"
    ac_view = mask_quality_rows(rows, "academic_office")
    assert ac_view[0]["value"] == ID and ac_view[3]["value"] == FULL_MASK
    anon = mask_quality_rows(rows, None)
    assert anon[0]["value"] != ID and anon[3]["value"] == FULL_MASK
    # unknown table: nothing personal can be ruled out
    odd = mask_quality_rows(
        [{"system": "x", "table_name": "y", "value": "v", "source_key": "{}"}], "hr_office"
    )
    assert odd[0]["value"] == FULL_MASK and odd[0]["source_key"] == FULL_MASK


def test_cli_quality_masks_unless_owner(tmp_path, monkeypatch, capsys):
    """`campus-dw quality --steward OWNER` on a published quality snapshot."""
    from orchestration.cli import main as cli_main
    from orchestration.publish import publish_quality
    from orchestration.settings import load_settings

    monkeypatch.delenv("CAMPUS_DW_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    home = tmp_path / "home"
    monkeypatch.setenv("CAMPUS_DW_HOME", str(home))
    monkeypatch.setenv("CAMPUS_DW_DEMO_SCALE", "small")
    settings = load_settings()
    wh: Path = settings.warehouse_path
    wh.parent.mkdir(parents=True, exist_ok=True)
    from data_contracts.runner import QUALITY_DDL

    con = duckdb.connect(str(wh))
    for ddl in QUALITY_DDL:
        con.execute(ddl)
    # a cross-system style sample whose key carries an ID number and a name
    con.execute(
        "insert into quality.check_results values ('r1', now()::timestamp, 'academic.xsjbsj.sfzjh_valid', "
        "'academic', 'xsjbsj', 'sfzjh', 'error', 'academic_office', 10, 1, 0.1, ?::json, 'fail')",
        [json.dumps([{"xh": "2021001", "sfzjh": ID, "xm": "张三"}], ensure_ascii=False)],
    )
    con.close()
    publish_quality(settings, "r1")

    def sample(args):
        assert cli_main(["quality", "--format", "json", *args]) == 0
        (entry,) = json.loads(capsys.readouterr().out)
        return entry["sample_keys"][0]

    assert sample([]) == {"xh": "2021001", "sfzjh": "110101**********18", "xm": "张*"}
    assert sample(["--steward", "hr_office"])["sfzjh"] == "110101**********18"
    assert sample(["--steward", "academic_office"]) == {"xh": "2021001", "sfzjh": ID, "xm": "张三"}
    assert cli_main(["quality", "--steward", "nobody"]) != 0
