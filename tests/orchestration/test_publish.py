"""Write-audit-publish: serving/quality snapshots, masking, atomic pointer, retention, rollback, readers."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from dashboards.snapshot import NoSnapshotError, SnapshotReader
from orchestration import publish as pub
from orchestration.locking import warehouse_lock
from orchestration.settings import PROJECT_ROOT, default_settings_dict, settings_from_dict

FAKE_NAMES = ["张三丰", "李四光", "欧阳娜娜", "王五"]
FAKE_IDS = ["110101200001011234", "32010219991231002X"]
FAKE_PHONES = ["13812345678", "15900001111"]
FAKE_STUDENT_NOS = ["2023010101", "2023010102"]
SECRET_VALUES = FAKE_NAMES + FAKE_IDS + FAKE_PHONES + FAKE_STUDENT_NOS


# ------------------------------------------------------------------------------------------------
# fixtures: a tiny fake warehouse and dbt manifest
# ------------------------------------------------------------------------------------------------
def make_settings(home: Path, keep: int = 3):
    data = default_settings_dict(home=home, scale="small")
    data["publish"] = {"keep_snapshots": keep, "stale_after_hours": 36}
    return settings_from_dict(data)


def build_warehouse(path: Path, *, kpi_2023: float = 0.5, big_rows: int = 0) -> None:
    """raw + intermediate + marts (+ quality) with personal data in the places the publisher must mask."""
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path))
    try:
        con.execute(
            "create schema if not exists raw; create schema if not exists intermediate; "
            "create schema if not exists marts; create schema if not exists quality"
        )
        con.execute(
            "create or replace table raw.academic__xsjbsj as select * from (values "
            f"('{FAKE_STUDENT_NOS[0]}', '{FAKE_NAMES[0]}', '{FAKE_IDS[0]}'), "
            f"('{FAKE_STUDENT_NOS[1]}', '{FAKE_NAMES[1]}', '{FAKE_IDS[1]}')) t(xh, xm, sfzjh)"
        )
        con.execute("""create or replace table raw._load_log as select * from (values
            ('run-a', 'academic', 'xsjbsj', 'full', timestamp '2025-11-20 10:00:00', timestamp '2025-11-20 10:00:05',
             5.0, 2::bigint, 2::bigint, 2::bigint, 0::bigint, 0::bigint, 'ok', null)) t(run_id, system, table_name,
             mode, started_at, finished_at, duration_s, rows_read, rows_landed, rows_new_versions,
             rows_quarantined, rows_deleted, status, message)""")
        con.execute(f"""create or replace table raw._quarantine as select 1::bigint quarantine_id, 'run-a' run_id,
            'academic' as system, 'xsjbsj' as table_name, '{FAKE_STUDENT_NOS[1]}' as source_ref,
            '{{"xm": "{FAKE_NAMES[3]}"}}' record, 'bad id number' reason,
            timestamp '2025-11-20 10:00:03' quarantined_at, null::timestamp released_at, null::varchar released_by""")
        con.execute(
            "create or replace table raw._finance_files (file_name varchar, kind varchar, status varchar)"
        )
        con.execute(
            "create or replace table intermediate.int_students as select * from (values "
            f"('pk1', '{FAKE_STUDENT_NOS[0]}', '{FAKE_NAMES[0]}', '{FAKE_IDS[0]}', '{FAKE_PHONES[0]}', "
            f"date '2001-03-04', '0801', '{FAKE_NAMES[0]}', '{FAKE_PHONES[0]}', 'ok'), "
            f"('pk2', '{FAKE_STUDENT_NOS[1]}', '{FAKE_NAMES[1]}', '{FAKE_IDS[1]}', '{FAKE_PHONES[1]}', "
            f"date '2002-05-06', '0802', '{FAKE_NAMES[1]}', '{FAKE_PHONES[1]}', 'see {FAKE_IDS[1]}'), "
            "('pk3', '2023010103', ' 欧阳娜娜', null, null, null, '0802', null, null, "
            f"'{FAKE_IDS[0]}')) "
            "t(person_key, student_no, name, id_number, phone, birth_date, major_code, xm, mobile, remark)"
        )
        con.execute("create or replace table marts.dim_student as select * from intermediate.int_students")
        con.execute(
            "create or replace view marts.rpt_enrolment as "
            "select major_code, count(*) as students from warehouse.marts.dim_student group by all"
        )
        con.execute(
            f"create or replace table marts.dim_staff_payroll as select '{FAKE_NAMES[2]}' as name, "
            "8123.45 as salary"
        )
        con.execute(
            "create or replace table marts.fct_salary_by_unit as select * from (values "
            "('U01', 3, 9000.0), ('U02', 8, 7000.0)) t(unit_code, headcount, avg_salary)"
        )
        con.execute(f"create or replace table marts.old_leftover as select '{FAKE_NAMES[3]}' as who")
        con.execute(f"""create or replace table marts.fct_kpi_values as select * from (values
            ('4100000001', 'K01', 2023, null, {kpi_2023}::decimal(38,4), 1::decimal(38,6), 2::decimal(38,6)),
            ('4100000001', 'K01', 2024, null, 0.7::decimal(38,4), 7::decimal(38,6), 10::decimal(38,6)),
            ('4100000001', 'F01', null, 2024, 123.4567::decimal(38,4), null, null))
            t(institution_code, kpi_id, academic_year, fiscal_year, value, numerator, denominator)""")
        if big_rows:
            con.execute(f"""create or replace table marts.fct_big as
                select i as id, md5(i::varchar) as a, md5((i + 1)::varchar) as b, i * 1.5 as x,
                       'unit_' || (i % 97)::varchar as unit_code
                from range({big_rows}) r(i)""")
        con.execute(f"""create or replace table quality.check_results as select 'dim_student' model,
            'not_null_id_number' check_name, 'fail' status, '{FAKE_IDS[1]}' failing_value""")
        con.execute("checkpoint")
    finally:
        con.close()


def write_manifest(path: Path, *, big: bool = False) -> Path:
    def model(name, columns=None, meta=None, description=""):
        return {
            f"model.campus_dw.{name}": {
                "resource_type": "model",
                "name": name,
                "alias": name,
                "schema": "marts",
                "description": description,
                "meta": {},
                "config": {"meta": meta or {}},
                "columns": {
                    c: {"name": c, "description": f"{c} column", "meta": m}
                    for c, m in (columns or {}).items()
                },
            }
        }

    nodes: dict = {}
    nodes |= model(
        "dim_student",
        {
            "person_key": {},
            "student_no": {"pii": "person_id"},
            "name": {"pii": "name"},
            "id_number": {"pii": "id_number"},
            "phone": {"pii": "phone"},
            "birth_date": {"pii": "birth_date"},
            "major_code": {},
            "remark": {"pii": "none"},
        },
        description="One row per student.",
    )
    nodes |= model("rpt_enrolment", {"major_code": {}, "students": {}})
    nodes |= model(
        "dim_staff_payroll", {"name": {"pii": "name"}, "salary": {"pii": "salary"}}, meta={"restricted": True}
    )
    nodes |= model(
        "fct_salary_by_unit", {"avg_salary": {"pii": "salary"}}, meta={"group_size_column": "headcount"}
    )
    nodes |= model("fct_kpi_values", {"value": {}})
    if big:
        nodes |= model("fct_big", {})
    nodes["model.campus_dw.stg_x"] = {
        "resource_type": "model",
        "name": "stg_x",
        "schema": "staging",
        "config": {"meta": {}},
        "columns": {},
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"metadata": {"dbt_version": "1.11.0"}, "nodes": nodes}), encoding="utf-8")
    return path


@pytest.fixture()
def env(tmp_path, monkeypatch):
    monkeypatch.delenv(pub.PSEUDONYM_ENV, raising=False)
    settings = make_settings(tmp_path / "home")
    build_warehouse(settings.warehouse_path)
    manifest = write_manifest(tmp_path / "manifest.json")
    return settings, manifest


def publish(settings, manifest, run_id, **kw):
    return pub.publish_serving(settings, run_id, manifest_path=manifest, **kw)


def open_ro(path: Path) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(path), read_only=True)


def all_text_values(path: Path) -> list[str]:
    con = open_ro(path)
    try:
        cols = con.execute(
            "select schema_name, table_name, column_name from duckdb_columns() "
            "where data_type = 'VARCHAR' and database_name = current_database()"
        ).fetchall()
        values = []
        for s, t, c in cols:
            values += [
                r[0] for r in con.execute(f'select "{c}" from "{s}"."{t}" where "{c}" is not null').fetchall()
            ]
        return values
    finally:
        con.close()


# ------------------------------------------------------------------------------------------------
# contents and masking
# ------------------------------------------------------------------------------------------------
def test_serving_holds_marts_and_meta_only(env):
    settings, manifest = env
    res = publish(settings, manifest, "run-1", source_freshness={"academic": "2025-11-20T10:00:00"})
    assert res.path.is_file() and res.path.name == "serving_run-1.duckdb"
    con = open_ro(res.path)
    try:
        schemas = {
            r[0]
            for r in con.execute(
                "select distinct schema_name from duckdb_tables() where database_name = current_database()"
            ).fetchall()
        }
        assert schemas == {"marts", "meta"}
        marts = {
            r[0]
            for r in con.execute(
                "select table_name from duckdb_tables() where schema_name = 'marts'"
            ).fetchall()
        }
        assert marts == {"dim_student", "rpt_enrolment", "fct_salary_by_unit", "fct_kpi_values"}
        assert not con.execute("select count(*) from duckdb_views() where not internal").fetchone()[0]
        snap = con.execute("select run_id, institution_code, source_freshness from meta.snapshot").fetchone()
        assert snap[0] == "run-1" and snap[1] == "4100000001" and "academic" in snap[2]
        assert (
            con.execute("select comment from duckdb_tables() where table_name = 'dim_student'").fetchone()[0]
            == "One row per student."
        )
        assert (
            con.execute("select students from marts.rpt_enrolment where major_code = '0802'").fetchone()[0]
            == 2
        )
    finally:
        con.close()
    assert res.skipped_tables["dim_staff_payroll"].startswith("restricted")
    assert "old_leftover" in res.skipped_tables


def test_no_personal_data_in_serving(env):
    settings, manifest = env
    res = publish(settings, manifest, "run-1")
    values = all_text_values(res.path)
    assert values, "the VARCHAR scan found nothing to check"
    for secret in SECRET_VALUES:
        assert not any(secret in v for v in values), f"{secret!r} leaked into the serving snapshot"
    con = open_ro(res.path)
    try:
        cols = {
            r[0]
            for r in con.execute(
                "select column_name from duckdb_columns() where table_name = 'dim_student'"
            ).fetchall()
        }
        # undeclared xm / mobile (name-based net) and remark (holds ID-shaped values) are dropped
        assert cols == {"person_key", "student_no", "name", "id_number", "phone", "birth_date", "major_code"}
        rows = con.execute(
            "select person_key, student_no, name, id_number, phone, birth_date "
            "from marts.dim_student order by person_key"
        ).fetchall()
        assert [r[2] for r in rows] == ["张*", "李*", "欧*"]
        assert all(r[3] is None and r[4] is None for r in rows)
        assert [r[5] for r in rows] == [2001, 2002, None]
        key = pub.pseudonym_key(settings)
        assert rows[0][1] == pub.pseudonymise(FAKE_STUDENT_NOS[0], key)
        assert len(rows[0][1]) == pub.PSEUDONYM_HEX_CHARS
        sal = con.execute("select unit_code, avg_salary from marts.fct_salary_by_unit order by 1").fetchall()
        assert sal == [("U01", None), ("U02", 7000.0)]
        masking = {
            (t, c): a
            for t, c, a in con.execute("select table_name, column_name, action from meta.masking").fetchall()
        }
        assert masking[("dim_student", "xm")] == "dropped"
        assert masking[("dim_student", "remark")] == "dropped"
        assert masking[("dim_student", "student_no")] == "pseudonymised"
    finally:
        con.close()
    keyfile = settings.home_dir / "secrets" / "pseudonym.key"
    assert keyfile.is_file() and (keyfile.stat().st_mode & 0o777) == 0o600


def test_pseudonyms_stable_and_env_key(env, monkeypatch):
    settings, manifest = env
    a = publish(settings, manifest, "run-1")
    b = publish(settings, manifest, "run-2")
    q = "select student_no from marts.dim_student order by person_key"
    with open_ro(a.path) as ca, open_ro(b.path) as cb:
        assert ca.execute(q).fetchall() == cb.execute(q).fetchall()
    monkeypatch.setenv(pub.PSEUDONYM_ENV, "an-operator-chosen-secret-key")
    c = publish(settings, manifest, "run-3")
    with open_ro(c.path) as cc:
        first = cc.execute(q).fetchone()[0]
    assert first == pub.pseudonymise(FAKE_STUDENT_NOS[0], b"an-operator-chosen-secret-key")


def test_name_safety_net_patterns():
    for col in [
        "name",
        "XM",
        "student_name",
        "id_number",
        "sfzjh",
        "phone",
        "sjhm",
        "mobile",
        "emergency_phone",
        "birth_date",
        "csrq",
        "salary",
        "base_salary",
        "gz",
        "姓名",
        "身份证号",
        "email",
    ]:
        assert pub.pii_name_category(col), col
    for col in [
        "unit_name",
        "kpi_name",
        "major_name",
        "person_key",
        "kpi_id",
        "value",
        "academic_year",
        "headcount",
        "item_name",
        "course_name",
        "status",
    ]:
        assert pub.pii_name_category(col) is None, col


def test_missing_manifest_refuses(env, tmp_path):
    settings, _ = env
    with pytest.raises(pub.PublishError, match="manifest"):
        pub.publish_serving(settings, "run-1", manifest_path=tmp_path / "nope.json")
    assert pub.current_snapshot(settings) is None


# ------------------------------------------------------------------------------------------------
# pointer, crash safety, retention, rollback
# ------------------------------------------------------------------------------------------------
def test_pointer_contents_and_verify(env):
    settings, manifest = env
    r1 = publish(settings, manifest, "run-1")
    r2 = publish(settings, manifest, "run-2")
    ptr = json.loads(pub.pointer_path(settings).read_text())
    assert ptr["snapshot"] == r2.path.name and ptr["run_id"] == "run-2"
    assert ptr["previous"] == r1.path.name
    assert ptr["checksum"] == pub.file_sha256(r2.path)
    assert datetime.fromisoformat(ptr["published_at"]).tzinfo is not None
    info = pub.current_snapshot(settings)
    assert info is not None and info.path == r2.path and pub.verify_snapshot(info)
    assert info.age < timedelta(minutes=5)
    assert [s.name for s in pub.list_snapshots(settings)] == [r2.path.name, r1.path.name]
    # a re-publish of the same run never overwrites the file readers may have open
    r3 = publish(settings, manifest, "run-2")
    assert r3.path.name == "serving_run-2.2.duckdb" and r2.path.is_file()
    assert not list(pub.snapshots_dir(settings).glob(".*"))


def test_crash_between_snapshot_and_pointer_keeps_old(env, monkeypatch):
    settings, manifest = env
    r1 = publish(settings, manifest, "run-1")
    old_ptr = pub.pointer_path(settings).read_text()

    def boom(*a, **k):
        raise RuntimeError("simulated crash before the pointer switch")

    monkeypatch.setattr(pub, "_switch_pointer", boom)
    with pytest.raises(RuntimeError, match="simulated crash"):
        publish(settings, manifest, "run-2")
    assert pub.pointer_path(settings).read_text() == old_ptr
    info = pub.current_snapshot(settings)
    assert info is not None and info.name == r1.path.name and pub.verify_snapshot(info)
    assert sorted(p.name for p in pub.snapshots_dir(settings).iterdir()) == sorted(
        [r1.path.name, r1.path.name + ".json"]
    )
    with open_ro(r1.path) as con:
        assert con.execute("select run_id from meta.snapshot").fetchone()[0] == "run-1"

    # a crash while building the file leaves no temp file either
    monkeypatch.undo()
    monkeypatch.delenv(pub.PSEUDONYM_ENV, raising=False)

    def boom2(*a, **k):
        raise RuntimeError("simulated crash while building")

    monkeypatch.setattr(pub, "_build_kpi_publications", boom2)
    with pytest.raises(RuntimeError, match="while building"):
        publish(settings, manifest, "run-3")
    assert sorted(p.name for p in pub.snapshots_dir(settings).iterdir()) == sorted(
        [r1.path.name, r1.path.name + ".json"]
    )
    monkeypatch.undo()
    r4 = publish(settings, manifest, "run-4")
    assert pub.current_snapshot(settings).name == r4.path.name


def test_retention_keeps_n(env):
    settings, manifest = env  # keep_snapshots = 3
    names = [publish(settings, manifest, f"run-{i}").path.name for i in range(5)]
    kept = [s.name for s in pub.list_snapshots(settings)]
    assert kept == names[:-4:-1]
    assert not (pub.snapshots_dir(settings) / (names[0] + ".json")).exists()
    # keep 1: the current and the one rollback would switch to survive
    settings1 = make_settings(settings.home_dir, keep=1)
    publish(settings1, manifest, "run-5")
    kept = [s.name for s in pub.list_snapshots(settings1)]
    assert kept == ["serving_run-5.duckdb", "serving_run-4.duckdb"]
    # after a rollback the rolled-back-to snapshot and its own predecessor stay protected
    assert pub.rollback(settings1) == "serving_run-4.duckdb"
    assert pub.apply_retention(settings1) == []
    assert pub.current_snapshot(settings1).name == "serving_run-4.duckdb"


def test_rollback(env):
    settings, manifest = env
    r1 = publish(settings, manifest, "run-1")
    r2 = publish(settings, manifest, "run-2")
    r3 = publish(settings, manifest, "run-3")
    assert pub.rollback(settings) == r2.path.name
    ptr = json.loads(pub.pointer_path(settings).read_text())
    assert ptr["rolled_back_from"] == r3.path.name and ptr["previous"] == r1.path.name
    assert pub.rollback(settings) == r1.path.name
    with pytest.raises(pub.PublishError, match="no earlier"):
        pub.rollback(settings)
    assert pub.rollback(settings, to="run-3") == r3.path.name
    assert pub.rollback(settings, to=r2.path.name) == r2.path.name
    with pytest.raises(pub.PublishError, match="no serving snapshot named"):
        pub.rollback(settings, to="run-99")
    # a damaged file is never rolled back to
    with open(r1.path, "r+b") as fh:
        fh.seek(5000)
        fh.write(b"\xff" * 16)
    with pytest.raises(pub.PublishError, match="checksum"):
        pub.rollback(settings, to="run-1")
    assert pub.current_snapshot(settings).name == r2.path.name


def test_kpi_publications_accumulate(env):
    settings, manifest = env
    publish(settings, manifest, "run-1")
    build_warehouse(settings.warehouse_path, kpi_2023=0.55)  # a revision of a past year's value
    publish(settings, manifest, "run-2")
    r3 = publish(settings, manifest, "run-3")
    q = (
        "select run_id, value from meta.kpi_publications where kpi_id = 'K01' and academic_year = 2023 "
        "order by published_at, run_id"
    )
    with open_ro(r3.path) as con:
        rows = con.execute(q).fetchall()
        assert [(r, float(v)) for r, v in rows] == [("run-1", 0.5), ("run-2", 0.55), ("run-3", 0.55)]
        assert con.execute("select count(*) from meta.kpi_publications").fetchone()[0] == 9
    # roll back to run-1 and publish run-4: run-2 and run-3 stay in the history
    pub.rollback(settings, to="run-1")
    r4 = publish(settings, manifest, "run-4")
    with open_ro(r4.path) as con:
        runs = [
            r[0]
            for r in con.execute("select distinct run_id from meta.kpi_publications order by 1").fetchall()
        ]
    assert runs == ["run-1", "run-2", "run-3", "run-4"]


# ------------------------------------------------------------------------------------------------
# readers, quality, status
# ------------------------------------------------------------------------------------------------
def test_reader_reopens_after_publish(env):
    settings, manifest = env
    reader = SnapshotReader(settings)
    with pytest.raises(NoSnapshotError, match="campus-dw run"):
        reader.query("select 1")
    publish(settings, manifest, "run-1")
    t = reader.query("select run_id from meta.snapshot")
    assert t.column("run_id").to_pylist() == ["run-1"]
    first_id, old_con = reader.snapshot_id, reader.connection()
    assert reader.age < timedelta(minutes=5) and reader.published_at.tzinfo is not None
    publish(settings, manifest, "run-2")
    t = reader.query("select run_id from meta.snapshot where run_id = ?", ["run-2"])
    assert t.num_rows == 1 and reader.snapshot_id != first_id
    with pytest.raises(duckdb.Error):
        old_con.execute("select 1")  # the old connection was closed
    with pytest.raises(duckdb.Error):
        reader.query("create table marts.x as select 1")  # read-only
    pub.rollback(settings)
    assert reader.query("select run_id from meta.snapshot").column(0).to_pylist() == ["run-1"]
    reader.close()


def test_reader_never_opens_warehouse(env):
    settings, manifest = env
    publish(settings, manifest, "run-1")
    ptr = json.loads(pub.pointer_path(settings).read_text())
    ptr["snapshot"] = "../../warehouse/warehouse.duckdb"
    pub.pointer_path(settings).write_text(json.dumps(ptr))
    with pytest.raises(NoSnapshotError):
        SnapshotReader(settings).query("select 1")


def test_quality_snapshot(env, tmp_path):
    settings, _ = env
    res = pub.publish_quality(settings, "run-1")
    with open_ro(res.path) as con:
        tables = {
            (s, t)
            for s, t in con.execute(
                "select schema_name, table_name from duckdb_tables() where database_name = current_database()"
            ).fetchall()
        }
        assert {
            ("quality", "check_results"),
            ("raw", "_quarantine"),
            ("raw", "_load_log"),
            ("raw", "_finance_files"),
            ("meta", "snapshot"),
        } <= tables
        assert ("raw", "academic__xsjbsj") not in tables
        assert con.execute("select count(*) from raw._quarantine").fetchone()[0] == 1
    assert pub.current_snapshot(settings, pub.QUALITY).name == "quality_run-1.duckdb"
    assert (
        SnapshotReader(settings, kind=pub.QUALITY).query("select * from quality.check_results").num_rows == 1
    )
    # a young warehouse without a quality schema publishes what exists
    bare = make_settings(tmp_path / "bare")
    bare.warehouse_path.parent.mkdir(parents=True)
    duckdb.connect(str(bare.warehouse_path)).close()
    res = pub.publish_quality(bare, "run-0")
    assert res.tables == {} and pub.verify_snapshot(pub.current_snapshot(bare, pub.QUALITY))


def test_status(env):
    settings, manifest = env
    st = pub.status(settings)
    assert st["serving"]["published"] is False and st["serving"]["stale"] is True
    assert "campus-dw run" in st["serving"]["message"]
    assert st["warehouse"]["state"] == "ok" and st["warehouse"]["last_run"]["run_id"] == "run-a"
    publish(settings, manifest, "run-1", published_at=datetime.now() - timedelta(hours=40))
    publish(settings, manifest, "run-2")
    st = pub.status(settings)
    assert st["serving"]["run_id"] == "run-2" and st["serving"]["stale"] is False
    assert st["serving"]["rollback_to"] == "serving_run-1.duckdb"
    pub.rollback(settings)
    st = pub.status(settings)
    assert st["serving"]["stale"] is True and st["serving"]["age_hours"] >= 39.9
    json.dumps(st)  # JSON-serialisable for `campus-dw status --json`


def test_status_reports_busy_warehouse(env):
    settings, _ = env
    code = (
        "import sys, time\n"
        "from orchestration.locking import warehouse_lock\n"
        "from orchestration.settings import default_settings_dict, settings_from_dict\n"
        "s = settings_from_dict(default_settings_dict(home=__import__('pathlib').Path(sys.argv[1])))\n"
        "with warehouse_lock(s):\n"
        "    print('locked', flush=True)\n"
        "    time.sleep(60)\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code, str(settings.home_dir)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=PROJECT_ROOT,
    )
    try:
        assert proc.stdout.readline().strip() == "locked"
        st = pub.status(settings)
        assert st["warehouse"]["state"] == "busy"
        assert st["warehouse"]["message"] == "warehouse busy (a run is writing)"
        assert st["warehouse"]["holder"]["pid"] == proc.pid
    finally:
        proc.kill()
        proc.wait()
    assert pub.status(settings)["warehouse"]["state"] == "ok"
    with warehouse_lock(settings):  # in-process holder: status still answers
        assert pub.status(settings)["warehouse"]["state"] == "busy"


# ------------------------------------------------------------------------------------------------
# kill -9 during publish
# ------------------------------------------------------------------------------------------------
KILL_SCRIPT = """
import sys
from pathlib import Path
from orchestration.publish import publish_serving
from orchestration.settings import default_settings_dict, settings_from_dict
s = settings_from_dict(default_settings_dict(home=Path(sys.argv[1])))
publish_serving(s, sys.argv[2], manifest_path=Path(sys.argv[3]))
print("done", flush=True)
"""


@pytest.mark.slow
def test_kill_9_during_publish(tmp_path, monkeypatch):
    monkeypatch.delenv(pub.PSEUDONYM_ENV, raising=False)
    settings = make_settings(tmp_path / "home")
    build_warehouse(settings.warehouse_path, big_rows=1_500_000)
    manifest = write_manifest(tmp_path / "manifest.json", big=True)
    r1 = publish(settings, manifest, "run-1")
    folder = pub.snapshots_dir(settings)
    proc = subprocess.Popen(
        [sys.executable, "-c", KILL_SCRIPT, str(settings.home_dir), "run-2", str(manifest)],
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    tmp = folder / ".serving_run-2.duckdb.tmp"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not (tmp.exists() and tmp.stat().st_size > 1_000_000):
        time.sleep(0.01)
    assert proc.poll() is None, "the publish finished before it could be killed: make the table bigger"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    info = pub.current_snapshot(settings)
    assert info is not None and info.name == r1.path.name and pub.verify_snapshot(info)
    assert [s.name for s in pub.list_snapshots(settings)] == [r1.path.name]
    with SnapshotReader(settings) as reader:
        assert reader.query("select count(*) as n from marts.fct_big").column(0).to_pylist() == [1_500_000]
    r2 = publish(settings, manifest, "run-2")
    assert pub.current_snapshot(settings).name == r2.path.name and pub.verify_snapshot(
        pub.current_snapshot(settings)
    )
    assert not list(folder.glob(".*"))
