"""The dashboards app, rendered with Streamlit's AppTest against a small fake serving snapshot.

The snapshot is laid out as orchestration/publish.py publishes one:
``<home>/serving/snapshots/serving_<run_id>.duckdb`` plus the ``<home>/serving/CURRENT`` JSON
pointer; the app finds it through a configuration file named by ``CAMPUS_DW_CONFIG``.
"""

from __future__ import annotations

import io
import json
import re
import uuid
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
import yaml
from streamlit.testing.v1 import AppTest

from dashboards.catalog import KPIS

APP = Path(__file__).resolve().parents[2] / "dashboards" / "app.py"
BEIJING = timezone(timedelta(hours=8))
TIMEOUT = 60
YEARS = range(2016, 2026)  # ten academic / fiscal years
Y = 2025

# Values that the assertions below read back, by (kpi_id, year).
SPECIAL: dict[tuple[str, int], Decimal | None] = {
    ("registered_students", 2025): Decimal("12345"),
    ("registered_students", 2024): Decimal("12000"),
    ("student_teacher_ratio", 2025): Decimal("23.45"),  # above the limiting line 22
    ("student_teacher_ratio", 2024): Decimal("17.50"),  # meets the pass line 18
    ("student_teacher_ratio", 2023): Decimal("20.00"),  # between the lines
    ("pct_teachers_postgrad_degree", 2025): Decimal("0.1234"),  # below the limiting line 0.15
    ("pct_teachers_postgrad_degree", 2024): Decimal("0.3100"),
    ("pct_teachers_postgrad_degree", 2023): Decimal("0.1000"),
    ("first_attempt_pass_rate", 2025): Decimal("0.8123"),
    ("first_attempt_pass_rate", 2024): Decimal("0.8000"),
    ("budget_total", 2025): Decimal("123456789.12"),
    ("budget_total", 2024): Decimal("120000000.00"),
    ("expenditure_per_student", 2025): Decimal("23456.78"),
    ("fte_students", 2025): Decimal("13012.3"),
    ("withdrawal_rate", 2025): None,  # undefined this year
}

# What the overview must show for 2025 (independent of the app's formatting code).
EXPECTED_ZH = {
    "registered_students": "12,345",
    "student_teacher_ratio": "23.45",
    "pct_teachers_postgrad_degree": "12.34%",
    "first_attempt_pass_rate": "81.23%",
    "budget_total": "12,345.68 万元",
    "expenditure_per_student": "2.35 万元",
    "fte_students": "13,012.3",
    "withdrawal_rate": "—",
}
EXPECTED_DELTA_ZH = {
    "registered_students": "+345",
    "first_attempt_pass_rate": "+1.23 个百分点",
    "budget_total": "+345.68 万元",
}


def _default_value(kpi_id: str, kind: str, year: int) -> Decimal:
    base = sum(map(ord, kpi_id)) % 97
    if kind == "ratio":
        return Decimal(500 + base * 3 + (year - 2016) * 7) / Decimal(10_000) + Decimal("0.3")
    if kind == "money":
        return Decimal(1_000_000 * (base + 1) + (year - 2016) * 12345) + Decimal("0.25")
    if kind == "decimal":
        return Decimal(100 + base + year - 2016) + Decimal("0.5")
    return Decimal(100 * (base + 1) + (year - 2016) * 11)


def kpi_rows() -> list[tuple]:
    rows = []
    for spec in KPIS:
        for year in YEARS:
            value = SPECIAL.get((spec.id, year), _default_value(spec.id, spec.kind, year))
            num = den = None
            if spec.kind == "ratio" and value is not None:
                den = Decimal(10_000)
                num = value * den
            ay = year if spec.basis in ("academic", "both") else None
            fy = year if spec.basis in ("fiscal", "both") else None
            rows.append(("4100000001", spec.id, ay, fy, value, num, den))
    # a cross pairing (F != Y) that must not leak into the default F = Y view
    rows.append(("4100000001", "expenditure_per_student", 2025, 2024, Decimal("1.00"), None, None))
    return rows


def build_snapshot(
    home: Path,
    *,
    running_conditions: bool = True,
    kpi_table: bool = True,
    published_at: datetime | None = None,
) -> dict:
    """Write a published serving snapshot and its CURRENT pointer under ``home``."""
    run_id = f"test-{uuid.uuid4().hex[:10]}"
    snapshots = home / "serving" / "snapshots"
    snapshots.mkdir(parents=True, exist_ok=True)
    name = f"serving_{run_id}.duckdb"
    published = published_at or datetime.now(BEIJING).replace(microsecond=0)
    con = duckdb.connect(str(snapshots / name))
    try:
        con.execute("create schema marts")
        con.execute("create schema meta")
        if kpi_table:
            con.execute(
                "create table marts.fct_kpi_values (institution_code varchar, kpi_id varchar, "
                "academic_year integer, fiscal_year integer, value decimal(38,4), "
                "numerator decimal(38,6), denominator decimal(38,6))"
            )
            con.executemany("insert into marts.fct_kpi_values values (?, ?, ?, ?, ?, ?, ?)", kpi_rows())
        con.execute(
            "create table marts.dim_kpi (kpi_id varchar, sort_order integer, name_zh varchar, "
            "name_en varchar, kind varchar, unit varchar, decimals integer, year_basis varchar, "
            "definition_zh varchar, definition_en varchar)"
        )
        from dashboards.i18n import KPI_NAMES

        con.executemany(
            "insert into marts.dim_kpi values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    k.id,
                    i,
                    KPI_NAMES[k.id]["zh"],
                    KPI_NAMES[k.id]["en"],
                    k.kind,
                    None,
                    k.decimals,
                    k.basis,
                    f"口径说明 {k.id}",
                    f"Definition of {k.id}",
                )
                for i, k in enumerate(KPIS)
            ],
        )
        if running_conditions and kpi_table:
            # as dbt_project/models/marts/kpi/fct_running_conditions.sql builds it
            con.execute(
                """create table marts.fct_running_conditions as
                with lines as (
                    select * from (values ('student_teacher_ratio', 'max', 18.0, 22.0),
                                          ('pct_teachers_postgrad_degree', 'min', 0.30, 0.15))
                        as l(kpi_id, direction, pass_line, limiting_line)
                )
                select v.institution_code, v.kpi_id, v.academic_year, v.value, l.direction,
                       cast(l.pass_line as decimal(38,4)) as pass_line,
                       cast(l.limiting_line as decimal(38,4)) as limiting_line,
                       case when v.value is null then false
                            when l.direction = 'max' then v.value <= l.pass_line
                            else v.value >= l.pass_line end as meets_pass,
                       case when v.value is null then false
                            when l.direction = 'max' then v.value <= l.limiting_line
                            else v.value >= l.limiting_line end as meets_limit
                from marts.fct_kpi_values v join lines l using (kpi_id)
                where v.academic_year is not null and v.fiscal_year is null"""
            )
        con.execute("create table meta.snapshot (kind varchar, run_id varchar, published_at timestamp)")
        con.execute(
            "insert into meta.snapshot values ('serving', ?, ?)", [run_id, published.replace(tzinfo=None)]
        )
    finally:
        con.close()
    pointer = {"snapshot": name, "run_id": run_id, "published_at": published.isoformat(), "checksum": None}
    (home / "serving" / "CURRENT").write_text(json.dumps(pointer), encoding="utf-8")
    return pointer


def write_config(tmp_path: Path, home: Path, **publish) -> Path:
    cfg = {
        "home": str(home),
        "sources": {
            "academic": {"type": "sqlite", "path": str(tmp_path / "academic.sqlite")},
            "hr": {"type": "sqlite", "path": str(tmp_path / "hr.sqlite")},
            "finance": {"inbox": str(tmp_path / "inbox")},
            "payment": {},
        },
    }
    if publish:
        cfg["publish"] = publish
    path = tmp_path / f"campus-dw-{uuid.uuid4().hex[:6]}.yml"
    path.write_text(yaml.safe_dump(cfg, allow_unicode=True), encoding="utf-8")
    return path


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("CAMPUS_DW_CONFIG", str(write_config(tmp_path, home)))
    monkeypatch.delenv("CAMPUS_DW_HOME", raising=False)
    return home


def run_app(**query) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    for k, v in query.items():
        at.query_params[k] = v
    return at.run()


def db_values(home: Path, year: int, fiscal_year: int) -> dict[str, Decimal | None]:
    """fct_kpi_values for (Y, F) by the rule of docs/architecture.md, read through the snapshot
    reader (a second, differently configured connection to the same file is refused in-process)."""
    from dashboards.snapshot import SnapshotReader
    from orchestration.settings import load_settings

    with SnapshotReader(load_settings()) as reader:
        table = reader.query(
            "select kpi_id, value from marts.fct_kpi_values where (academic_year = ? or academic_year is null) "
            "and (fiscal_year = ? or fiscal_year is null)",
            [year, fiscal_year],
        )
    return dict(zip(table.column("kpi_id").to_pylist(), table.column("value").to_pylist(), strict=True))


def metrics_by_label(at: AppTest) -> dict[str, list]:
    out: dict[str, list] = {}
    for m in at.main.metric:
        out.setdefault(m.label, []).append(m)
    return out


def all_text(at: AppTest) -> str:
    parts = [e.value for e in at.markdown] + [e.value for e in at.caption] + [e.value for e in at.title]
    parts += [e.value for e in at.code] + [e.value for e in at.info] + [e.value for e in at.warning]
    parts += [e.value for e in at.error] + [e.value for e in at.success] + [e.value for e in at.subheader]
    return "\n".join(str(p) for p in parts)


def assert_clean(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error or all("Traceback" not in e.value for e in at.error)


# -- the tests ---------------------------------------------------------------------------------------


def test_overview_renders_and_shows_published_values(home: Path) -> None:
    build_snapshot(home)
    at = run_app()
    assert_clean(at)
    assert at.title[0].value == "校情总览"
    assert at.selectbox(key="ay").value == Y
    assert at.selectbox(key="fy").value == Y

    expected_raw = db_values(home, Y, Y)
    from dashboards.i18n import KPI_NAMES

    metrics = metrics_by_label(at)
    for spec in KPIS:
        shown = metrics.get(KPI_NAMES[spec.id]["zh"])
        assert shown, f"no card for {spec.id}"
        m = shown[0]
        raw = expected_raw[spec.id]
        if raw is None:
            assert m.value == "—"
            continue
        # the raw value in the card's help is exactly the published one
        match = re.search(r"原始值：(-?[0-9.]+)", m.help)
        assert match, m.help
        assert Decimal(match.group(1)) == raw, spec.id
        assert f"口径说明 {spec.id}" in m.help
        for other in shown[1:]:  # the running-condition card repeats the same value
            assert other.value == m.value
    for kpi_id, text in EXPECTED_ZH.items():
        assert metrics[KPI_NAMES[kpi_id]["zh"]][0].value == text, kpi_id
    for kpi_id, text in EXPECTED_DELTA_ZH.items():
        assert metrics[KPI_NAMES[kpi_id]["zh"]][0].delta == text, kpi_id

    # two limiting lines missed in 2025: an indicative red card, lines from the snapshot
    text = all_text(at)
    assert "红牌" in text and "指示性" in text
    assert "发布的数据快照" in text
    # every table has both downloads, with stable keys
    keys = {b.key for b in at.download_button}
    assert "dl_csv_overview_indicators_2025_2025" in keys and "dl_xlsx_overview_indicators_2025_2025" in keys
    assert any(k.startswith("dl_xlsx_overview_trend_finance") for k in keys)
    assert any(k.startswith("dl_csv_overview_running_conditions") for k in keys)
    # data as of, not stale
    assert "数据截至" in text
    assert not any("小时未更新" in w.value for w in at.warning)


def test_year_switch_changes_values_and_card(home: Path) -> None:
    build_snapshot(home)
    at = run_app()
    at.selectbox(key="ay").set_value(2024).run()
    at.selectbox(key="fy").set_value(2024).run()
    assert_clean(at)
    from dashboards.i18n import KPI_NAMES

    metrics = metrics_by_label(at)
    assert metrics[KPI_NAMES["registered_students"]["zh"]][0].value == "12,000"
    assert metrics[KPI_NAMES["budget_total"]["zh"]][0].value == "12,000.00 万元"
    expected = db_values(home, 2024, 2024)
    m = metrics[KPI_NAMES["expenditure_per_student"]["zh"]][0]
    assert Decimal(re.search(r"原始值：(-?[0-9.]+)", m.help).group(1)) == expected["expenditure_per_student"]
    assert any("无黄牌" in s.value for s in at.success)

    at.selectbox(key="ay").set_value(2023).run()
    assert_clean(at)
    assert any("黄牌" in w.value for w in at.warning)


def test_year_from_query_params(home: Path) -> None:
    build_snapshot(home)
    at = run_app(ay="2024", fy="2024")
    assert_clean(at)
    assert at.selectbox(key="ay").value == 2024
    assert at.selectbox(key="fy").value == 2024


def test_language_switch_changes_labels(home: Path) -> None:
    build_snapshot(home)
    at = run_app()
    assert at.title[0].value == "校情总览"
    at.segmented_control(key="lang").set_value("en").run()
    assert_clean(at)
    assert at.title[0].value == "College overview"
    labels = set(metrics_by_label(at))
    assert "Registered students" in labels and "在校生数" not in labels
    assert at.selectbox(key="ay").label == "Academic year"
    en = metrics_by_label(at)
    assert en["Registered students"][0].value == "12,345"
    assert en["Total budget"][0].value == "¥123.46 million"
    assert en["Share of full-time teachers with a postgraduate degree"][0].value == "12.34%"
    assert "Definition of registered_students" in en["Registered students"][0].help
    assert "red card" in all_text(at)
    # and back
    at.segmented_control(key="lang").set_value("zh").run()
    assert at.title[0].value == "校情总览"


def test_language_from_query_param(home: Path) -> None:
    build_snapshot(home)
    at = run_app(lang="en")
    assert_clean(at)
    assert at.title[0].value == "College overview"


def test_running_conditions_without_mart_use_configuration(home: Path) -> None:
    build_snapshot(home, running_conditions=False)
    at = run_app()
    assert_clean(at)
    text = all_text(at)
    assert "红牌" in text and "系统配置" in text


def test_stale_snapshot_warns(home: Path) -> None:
    build_snapshot(home, published_at=datetime.now(BEIJING) - timedelta(hours=50))
    at = run_app()
    assert_clean(at)
    assert any("小时未更新" in w.value for w in at.sidebar.warning)


def test_no_snapshot_page(home: Path) -> None:
    at = run_app()
    assert_clean(at)
    assert not at.error
    assert at.title[0].value == "还没有可用的数据"
    commands = "\n".join(c.value for c in at.code)
    assert "campus-dw demo" in commands and "campus-dw run" in commands
    at.segmented_control(key="lang").set_value("en").run()
    assert_clean(at)
    assert at.title[0].value == "No data published yet"


def test_new_snapshot_appears_without_restart(home: Path) -> None:
    at = run_app()
    assert at.title[0].value == "还没有可用的数据"
    build_snapshot(home)
    at.run()
    assert_clean(at)
    assert at.title[0].value == "校情总览"


def test_broken_snapshot_shows_friendly_error(home: Path) -> None:
    build_snapshot(home, kpi_table=False)
    at = run_app()
    assert not at.exception
    assert at.error, "expected a friendly error"
    message = at.error[0].value
    assert "错误编号" in message and "Traceback" not in message and "fct_kpi_values" not in message


# -- exports -------------------------------------------------------------------------------------------


def test_xlsx_and_csv_exports_round_trip() -> None:
    import pandas as pd
    from openpyxl import load_workbook

    from dashboards.formatting import to_csv_bytes, to_xlsx_bytes

    df = pd.DataFrame(
        {"指标": ["在校生数", "退学率"], "原始值": [Decimal("12345"), None], "年份": [2025, 2025]}
    )
    wb = load_workbook(io.BytesIO(to_xlsx_bytes(df, "指标")))
    ws = wb.active
    assert [c.value for c in ws[1]] == ["指标", "原始值", "年份"]
    assert [c.value for c in ws[2]] == ["在校生数", 12345, 2025]
    assert ws[3][1].value is None
    csv = to_csv_bytes(df)
    assert csv.startswith(b"\xef\xbb\xbf") and "在校生数" in csv.decode("utf-8-sig")
