"""The small demo college: determinism, schema conformity, valid content, injected defects."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import re
import sqlite3
from pathlib import Path

import pytest
import yaml
from openpyxl import load_workbook
from stdnum.cn import ric

from demo_college.generate import generate_college
from demo_college.loaders import ddl_statements

ROOT = Path(__file__).resolve().parents[2]
CATALOG = yaml.safe_load((ROOT / "data_contracts" / "source_tables.yml").read_text(encoding="utf-8"))


def _db(college: Path, system: str) -> sqlite3.Connection:
    return sqlite3.connect(college / f"{system}.sqlite")


def table_digest(con: sqlite3.Connection, table: str) -> tuple[int, str]:
    cols = [r[1] for r in con.execute(f"pragma table_info({table})")]
    h = hashlib.sha256()
    n = 0
    for row in con.execute(f"select * from {table} order by {', '.join(cols)}"):
        h.update(repr(row).encode())
        n += 1
    return n, h.hexdigest()


def college_digest(college: Path) -> dict[str, object]:
    out: dict[str, object] = {}
    for system in ("academic", "hr"):
        con = _db(college, system)
        for t in ddl_statements(system):
            out[f"{system}.{t}"] = table_digest(con, t)
        con.close()
    for p in sorted(college.rglob("*")):
        if (
            p.is_file()
            and p.suffix in (".csv", ".jsonl", ".part")
            or p.name in ("manifest.json", "college.json")
        ):
            out[str(p.relative_to(college))] = hashlib.sha256(p.read_bytes()).hexdigest()
        elif p.suffix == ".xlsx":
            ws = load_workbook(p, read_only=True)["部门预算"]
            out[str(p.relative_to(college))] = hashlib.sha256(
                repr(list(ws.iter_rows(values_only=True))).encode()
            ).hexdigest()
    return out


def test_layout(small_college: Path) -> None:
    c = small_college
    college = json.loads((c / "college.json").read_text(encoding="utf-8"))
    for key in (
        "scale",
        "seed",
        "first_year",
        "last_year",
        "now",
        "institution_code",
        "defect_rate",
        "counts",
    ):
        assert key in college
    assert college["scale"] == "small" and college["first_year"] == 2023 and college["last_year"] == 2025
    assert college["now"] == "2026-11-20T10:00:00+08:00"
    assert (c / "academic.sqlite").exists() and (c / "hr.sqlite").exists()
    assert (c / "payment" / "bills.jsonl").exists()
    assert sorted(p.name for p in (c / "finance_inbox" / "budget").iterdir())[:1] == ["预算_2023.xlsx"]
    assert (c / "finance_inbox" / "budget" / "预算_2025_v2.xlsx").exists()
    assert (c / "finance_inbox" / "ledger" / "凭证明细_202506_v2.csv").exists()
    assert list((c / "finance_inbox" / "ledger").glob("*.part"))
    assert isinstance(json.loads((c / "manifest.json").read_text(encoding="utf-8")), list)


def test_deterministic(small_college: Path, tmp_path: Path) -> None:
    again = generate_college("small", tmp_path / "again", seed=20251, defect_rate=0.01)
    a, b = college_digest(small_college), college_digest(again)
    assert a.keys() == b.keys()
    diff = [k for k in a if a[k] != b[k]]
    assert not diff, diff


def test_clean_college_has_no_defects(tmp_path: Path) -> None:
    out = generate_college("small", tmp_path / "clean", seed=7, defect_rate=0.0)
    assert json.loads((out / "manifest.json").read_text(encoding="utf-8")) == []
    con = _db(out, "academic")
    assert con.execute("select count(*) from xsjbsj where xbm not in ('1','2')").fetchone()[0] == 0
    assert con.execute("select count(*) from cjxx where kscj = '105'").fetchone()[0] == 0
    bad = [x for (x,) in con.execute("select sfzjh from xsjbsj where sfzjlxm = '1'") if not ric.is_valid(x)]
    assert not bad


@pytest.mark.parametrize("system", ["academic", "hr"])
def test_schema_matches_ddl_and_catalog(small_college: Path, system: str) -> None:
    con = _db(small_college, system)
    tables = {r[0] for r in con.execute("select name from sqlite_master where type = 'table'")}
    catalog = CATALOG["systems"][system]["tables"]
    assert tables == set(catalog)
    for t, spec in catalog.items():
        info = list(con.execute(f"pragma table_info({t})"))
        assert [r[1] for r in info] == list(spec["columns"]), t
        assert [r[2].lower() for r in info] == [c["type"].lower() for c in spec["columns"].values()], t
        for r in info:
            if not spec["columns"][r[1]]["nullable"]:
                assert con.execute(f"select count(*) from {t} where {r[1]} is null").fetchone()[0] == 0, (
                    t,
                    r[1],
                )
        assert con.execute(f"select count(*) from {t}").fetchone()[0] > 0, t


def _defect_keys(manifest: list[dict], defect: str, table: str) -> set:
    return {tuple(d["key"].values())[0] for d in manifest if d["defect"] == defect and d["table"] == table}


def test_citizen_ids_valid_and_agree(small_college: Path, small_manifest: list[dict]) -> None:
    bad_id = _defect_keys(small_manifest, "invalid_id_check_digit", "xsjbsj")
    bad_date = _defect_keys(small_manifest, "invalid_date", "xsjbsj")
    con = _db(small_college, "academic")
    n = 0
    lower_x = 0
    for xh, xbm, csrq, sfzjh in con.execute("select xh, xbm, csrq, sfzjh from xsjbsj where sfzjlxm = '1'"):
        if xh in bad_id:
            assert not ric.is_valid(sfzjh)
            continue
        assert ric.is_valid(sfzjh), (xh, sfzjh)
        lower_x += sfzjh.endswith("x")
        if xh not in bad_date:
            assert sfzjh[6:14] == csrq.replace("-", ""), xh
        sex = "1" if int(sfzjh[16]) % 2 else "2"
        assert {"男": "1", "女": "2"}.get(xbm, xbm) == sex, xh
        n += 1
    assert n > 1000 and lower_x > 0
    assert con.execute("select count(*) from xsjbsj where csrq like '____-__-__'").fetchone()[0] > 0
    assert (
        con.execute("select count(*) from xsjbsj where gjdqm not in ('156','344','446','158')").fetchone()[0]
        > 0
    )
    hr = _db(small_college, "hr")
    bad_staff = _defect_keys(small_manifest, "invalid_id_check_digit", "jzgjbxx")
    zero = _defect_keys(small_manifest, "zero_date", "jzgjbxx")
    for gh, xbm, csrq, sfzjh in hr.execute("select gh, xbm, csrq, sfzjh from jzgjbxx"):
        assert ric.is_valid(sfzjh) != (gh in bad_staff), gh
        assert xbm == ("1" if int(sfzjh[16]) % 2 else "2"), gh
        if gh not in zero and gh not in bad_staff:
            assert sfzjh[6:14] == csrq.replace("-", "")
    for (sfzjh,) in hr.execute("select sfzjh from wpjs where sfzjlxm = '1'"):
        assert ric.is_valid(sfzjh)
    # the same people in several systems
    staff_ids = {r[0] for r in hr.execute("select sfzjh from jzgjbxx")}
    ext_ids = {r[0] for r in hr.execute("select sfzjh from wpjs")}
    stu_ids = {r[0] for r in con.execute("select sfzjh from xsjbsj")}
    assert staff_ids & ext_ids, "retired staff come back as external teachers"
    assert staff_ids & stu_ids, "some staff study part time"


CODES = {
    ("xsjbsj", "pycc"): {"1", "2", "3"},
    ("xsjbsj", "xxxs"): {"1", "2", "3"},
    ("xsjbsj", "xjztm"): {"01", "02", "03", "04", "05", "06", "07"},
    ("xjyd", "ydlbm"): {"11", "12", "13", "14", "15", "16", "17", "18", "19", "20"},
    ("kcxx", "kcxzm"): {"01", "02", "03"},
    ("cjxx", "ksxzm"): {"01", "02", "03"},
    ("cjxx", "sfsc"): {"0", "1"},
    ("byxx", "byjlm"): {"01", "02", "03"},
    ("byqx", "qxlbm"): {"10", "11", "12", "20", "21", "30", "40", "41", "42"},
}


def test_code_sets_and_formats(small_college: Path) -> None:
    con = _db(small_college, "academic")
    for (t, c), allowed in CODES.items():
        vals = {r[0] for r in con.execute(f"select distinct {c} from {t}")}
        assert vals <= allowed, (t, c, vals - allowed)
    assert {r[0] for r in con.execute("select distinct xwm from byxx")} <= {None, "3", "4"}
    ts_re = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$")
    for t in ddl_statements("academic"):
        for (v,) in con.execute(f"select gxsj from {t} limit 500"):
            assert ts_re.match(v), (t, v)
    scores = {r[0] for r in con.execute("select distinct kscj from cjxx")}
    five = {"优秀", "良好", "中等", "及格", "不及格", "缺考", "缓考"}
    assert five <= scores
    assert any("." in s for s in scores if s not in five)
    for s in scores - five:
        assert re.match(r"^\d{1,3}(\.\d)?$", s), s
    ks = dict(con.execute("select ksxzm, count(*) from cjxx group by 1").fetchall())
    assert ks["02"] > 0 and ks["03"] > 0
    assert con.execute("select count(*) from cjxx where sfsc = '1'").fetchone()[0] > 0
    assert con.execute("select count(*) from jxrw where jslx = '2'").fetchone()[0] > 0
    assert con.execute("select count(distinct gxsj) < count(*) from cjxx").fetchone()[0] == 1


def test_status_agrees_with_history(small_college: Path, small_manifest: list[dict]) -> None:
    skip = _defect_keys(small_manifest, "status_inconsistent_with_history", "xsjbsj")
    con = _db(small_college, "academic")
    events: dict[str, list[str]] = {}
    for xh, lb in con.execute("select xh, ydlbm from xjyd order by xh, ydrq, ydid"):
        events.setdefault(xh, []).append(lb)
    rows = con.execute("select s.xh, s.xjztm, b.byjlm from xsjbsj s left join byxx b using (xh)").fetchall()
    for xh, xjztm, byjlm in rows:
        if xh in skip:
            continue
        ev = events.get(xh, [])
        leaving = [e for e in ev if e in ("14", "16", "18", "19", "20")]
        if byjlm is not None:
            assert xjztm == {"01": "04", "02": "05", "03": "03"}[byjlm], xh
        elif leaving:
            assert xjztm == ("06" if leaving[0] == "16" else "03"), xh
        elif ev and ev[-1] == "11":
            assert xjztm == "02", xh
        elif ev and ev[-1] == "15":
            assert xjztm == "07", xh
        else:
            assert xjztm == "01", (xh, ev)


def test_titles_agree_with_history(small_college: Path, small_manifest: list[dict]) -> None:
    skip = _defect_keys(small_manifest, "title_mismatch_with_history", "jzgjbxx")
    con = _db(small_college, "hr")
    firsts = con.execute(
        """select gh, zyjszwm_q from zcbd z where prrq = (select min(prrq) from zcbd x where x.gh = z.gh)"""
    ).fetchall()
    assert all(q is None for _, q in firsts)
    rows = con.execute("""select j.gh, j.zyjszwm,
        (select zyjszwm_h from zcbd z where z.gh = j.gh order by prrq desc, bdid desc limit 1) from jzgjbxx j""").fetchall()
    for gh, cur, hist in rows:
        if gh in skip:
            assert cur != hist
        else:
            assert cur == hist, gh
    assert con.execute("select count(*) from zcbd where zyjszwm_q is not null").fetchone()[0] > 0


def _ledger_rows(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_bytes().decode("gb18030"))))


def test_defects_present_at_keys(small_college: Path, small_manifest: list[dict]) -> None:
    kinds = {d["defect"] for d in small_manifest}
    for k in (
        "invalid_id_check_digit",
        "legacy_gender_text",
        "orphan_code",
        "duplicate_grade_row",
        "score_out_of_range",
        "leave_before_join",
        "budget_total_mismatch",
        "ledger_unknown_unit",
        "bill_unknown_student",
        "xjyd_after_leaving",
        "title_mismatch_with_history",
        "zero_date",
        "invalid_date",
        "status_inconsistent_with_history",
        "future_update_timestamp",
    ):
        assert k in kinds, k
    acad, hr = _db(small_college, "academic"), _db(small_college, "hr")
    bills = {}
    for line in (small_college / "payment" / "bills.jsonl").read_text(encoding="utf-8").splitlines():
        b = json.loads(line)
        bills[b["bill_id"]] = b
    known = {r[0] for r in acad.execute("select xh from xsjbsj")}
    for d in small_manifest:
        assert set(d) == {"defect", "system", "table", "key", "column", "detail"}
        key, col, kind = d["key"], d["column"], d["defect"]
        if d["system"] in ("academic", "hr"):
            con = acad if d["system"] == "academic" else hr
            ((kc, kv),) = key.items()
            row = con.execute(f"select * from {d['table']} where {kc} = ?", (kv,)).fetchone()
            assert row is not None, d
            names = [r[1] for r in con.execute(f"pragma table_info({d['table']})")]
            rec = dict(zip(names, row, strict=True))
            if kind == "invalid_id_check_digit":
                assert not ric.is_valid(rec["sfzjh"])
            elif kind == "legacy_gender_text":
                assert rec["xbm"] in ("男", "女")
            elif kind == "orphan_code":
                assert rec[col] in ("9999", "999")
            elif kind == "score_out_of_range":
                assert rec["kscj"] == "105"
            elif kind == "duplicate_grade_row":
                n = con.execute(
                    "select count(*) from cjxx where xh = ? and jxbh = ? and ksxzm = ? and kscj is ? and gxsj = ?",
                    (rec["xh"], rec["jxbh"], rec["ksxzm"], rec["kscj"], rec["gxsj"]),
                ).fetchone()[0]
                assert n >= 2
            elif kind == "leave_before_join":
                assert rec["lzrq"] < rec["lxrq"]
            elif kind == "zero_date":
                assert rec["csrq"] == "0000-00-00"
            elif kind == "invalid_date":
                with pytest.raises(ValueError):
                    dt.date.fromisoformat(rec["csrq"][:4] + "-" + rec["csrq"][-4:-2] + "-" + rec["csrq"][-2:])
            elif kind == "title_mismatch_with_history":
                last = con.execute(
                    "select zyjszwm_h from zcbd where gh = ? order by prrq desc, bdid desc limit 1", (kv,)
                ).fetchone()[0]
                assert rec["zyjszwm"] != last
            elif kind == "xjyd_after_leaving":
                first_leave = con.execute(
                    "select min(ydrq) from xjyd where xh = ? and ydlbm in ('14','16','18','19','20')",
                    (rec["xh"],),
                ).fetchone()[0]
                assert first_leave is not None and rec["ydrq"] > first_leave
            elif kind == "status_inconsistent_with_history":
                assert con.execute("select count(*) from byxx where xh = ?", (kv,)).fetchone()[0] == 1
                assert rec["xjztm"] == "01"
            elif kind == "future_update_timestamp":
                assert rec["gxsj"] > "2026-11-20 11:00:00"
            else:
                raise AssertionError(f"unchecked defect kind {kind}")
        elif d["table"] == "ledger":
            rows = _ledger_rows(small_college / "finance_inbox" / "ledger" / key["file"])
            line = rows[key["line_no"] - 2]
            assert line["凭证号"] == key["凭证号"] and str(line["分录号"]) == str(key["分录号"])
            assert line["部门编码"] == "999"
        elif d["table"] == "budget":
            ws = load_workbook(small_college / "finance_inbox" / "budget" / key["file"])["部门预算"]
            r = [c.value for c in ws[key["line_no"]]]
            assert r[0] == key["部门编码"] and r[2] == key["经济分类编码"]
            num = [float(str(v).replace(",", "")) for v in r[6:9]]
            assert abs(num[0] + num[1] - num[2]) > 0.001
        elif d["table"] == "bills":
            assert bills[key["bill_id"]]["student_no"] not in known
        else:
            raise AssertionError(d)


def test_finance_files(small_college: Path) -> None:
    inbox = small_college / "finance_inbox"
    ws = load_workbook(inbox / "budget" / "预算_2024.xlsx")["部门预算"]
    assert ws["A1"].value == "2024年度部门预算表" and ws["A2"].value == "单位：元"
    assert "A1:I1" in [str(r) for r in ws.merged_cells.ranges]
    assert [c.value for c in ws[3]] == [
        "部门编码",
        "部门名称",
        "经济分类编码",
        "经济分类名称",
        "项目编号",
        "项目名称",
        "年初预算数",
        "调整预算数",
        "调整后预算数",
    ]
    rows = list(ws.iter_rows(min_row=4, values_only=True))
    assert rows[-1][0] == "合计"
    for r in rows[:-1]:
        assert re.match(r"^(301|302|303|310)\d\d$", r[2])
    text = inbox / "ledger" / "凭证明细_202412.csv"
    raw = text.read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    lines = _ledger_rows(text)
    assert list(lines[0]) == [
        "凭证日期",
        "凭证号",
        "分录号",
        "部门编码",
        "部门名称",
        "会计科目编码",
        "会计科目名称",
        "经济分类编码",
        "项目编号",
        "摘要",
        "借方金额",
        "贷方金额",
    ]
    assert all(r["凭证日期"].startswith("2024-12-") for r in lines)
    assert len({(r["凭证号"], r["分录号"]) for r in lines}) == len(lines)
    for r in lines:
        spends = r["会计科目编码"].startswith("5") or r["会计科目编码"] in ("1601", "1701")
        assert bool(r["经济分类编码"]) == spends, r
    v1 = _ledger_rows(inbox / "ledger" / "凭证明细_202506.csv")
    v2 = _ledger_rows(inbox / "ledger" / "凭证明细_202506_v2.csv")
    assert v1 != v2

    # December-heavy spending
    def spend(p: Path) -> float:
        return sum(
            float((r["借方金额"] or "0").replace(",", "")) - float((r["贷方金额"] or "0").replace(",", ""))
            for r in _ledger_rows(p)
            if r["经济分类编码"]
        )

    assert spend(inbox / "ledger" / "凭证明细_202412.csv") > 2 * spend(
        inbox / "ledger" / "凭证明细_202410.csv"
    )


def test_bills(small_college: Path) -> None:
    lines = (small_college / "payment" / "bills.jsonl").read_text(encoding="utf-8").splitlines()
    bills = [json.loads(x) for x in lines]
    fields = [
        "bill_id",
        "student_no",
        "item_code",
        "academic_year",
        "amount_due",
        "amount_waived",
        "amount_paid",
        "status",
        "paid_at",
        "updated_at",
    ]
    iso = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00$")
    assert len({b["bill_id"] for b in bills}) == len(bills)
    for b in bills:
        assert list(b) == fields
        assert b["item_code"] in ("01", "02", "03") and b["status"] in (
            "unpaid",
            "partial",
            "paid",
            "refunded",
        )
        assert iso.match(b["updated_at"]) and (b["paid_at"] is None or iso.match(b["paid_at"]))
        for k in ("amount_due", "amount_waived", "amount_paid"):
            assert re.match(r"^\d+\.\d\d$", b[k])
    statuses = {b["status"] for b in bills}
    assert statuses == {"unpaid", "partial", "paid", "refunded"}
    assert any(float(b["amount_waived"]) > 0 for b in bills)
    assert len({b["updated_at"] for b in bills}) < len(bills) / 5
    assert max(b["updated_at"] for b in bills) <= "2026-11-20T10:00:00+08:00"


def test_indicators_plausible(small_college: Path) -> None:
    from demo_college.sanity import indicators

    res = indicators(small_college)
    for y in (2023, 2024, 2025, 2026):
        assert 17.0 <= res[y]["student_teacher_ratio"] <= 21.0, (y, res[y])
    for y in (2023, 2024, 2025):
        r = res[y]
        assert 0.85 <= r["first_attempt_pass_rate"] <= 0.93, r
        assert 0.85 <= r["employment_rate"] <= 0.95, r
        assert 0.9 <= r["degree_award_rate"] <= 0.99, r
        assert 0.85 <= r["budget_execution_rate"] <= 1.0, r
        assert 0.5 <= r["personnel_expenditure_ratio"] <= 0.65, r
        assert 0.9 <= r["tuition_collection_rate"] <= 0.97, r
