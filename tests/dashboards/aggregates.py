"""Fake published aggregate marts (docs/marts-for-dashboards.md) for the dashboards' AppTests.

:func:`add_aggregates` writes the ``agg_*`` and non-restricted ``dim_*`` tables into a snapshot
built by ``test_app.build_snapshot``, consistent with its ``fct_kpi_values``: for every year the
census headcounts sum to ``registered_students``, and the teachers to ``fulltime_teachers``.
Numbers are deterministic so tests can state what a page must show.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import duckdb

INSTITUTION = "4100000001"
UNITS = [
    ("U01", "计算机与信息工程学院（人工智能产业学院）", True),
    ("U02", "外国语学院", True),
    ("U03", "经济管理学院", True),
    ("A01", "财务处", False),
]
TEACHING = [u for u in UNITS if u[2]]
MAJORS = [
    ("M011", "计算机科学与技术", "U01", "1"),
    ("M012", "软件技术", "U01", "2"),
    ("M021", "英语", "U02", "1"),
    ("M031", "会计学", "U03", "1"),
    ("M032", "工商管理（硕士）", "U03", "3"),
]
LEVEL_NAMES = {"1": "本科", "2": "专科", "3": "硕士研究生"}
MODE_NAMES = {"1": "全日制", "2": "业余（夜大）"}
COURSES = [
    ("C0101", "高等数学", "U01"),
    ("C0102", "数据结构与算法", "U01"),
    ("C0201", "综合英语", "U02"),
    ("C0301", "会计学原理", "U03"),
]
ECON = {"301": "工资福利支出", "302": "商品和服务支出", "303": "对个人和家庭的补助", "310": "资本性支出"}


def _unit_name(code: str) -> str:
    return next(n for c, n, _ in UNITS if c == code)


def census_rows(year: int, total: int) -> list[tuple]:
    """Headcounts for ``year`` summing exactly to ``total`` (the remainder on the first row)."""
    combos = []
    for major, _name, unit, level in MAJORS:
        for mode in ("1", "2"):
            for cohort in range(year - 3, year + 1):
                combos.append((major, unit, level, mode, cohort))
    base = total // len(combos)
    rows = []
    for i, (major, unit, level, mode, cohort) in enumerate(combos):
        n = base + (total - base * len(combos) if i == 0 else 0)
        fte = Decimal(n) * (Decimal("1") if mode == "1" else Decimal("0.3"))
        major_name = next(m[1] for m in MAJORS if m[0] == major)
        rows.append(
            (
                INSTITUTION,
                year,
                unit,
                _unit_name(unit),
                major,
                major_name,
                level,
                LEVEL_NAMES[level],
                mode,
                MODE_NAMES[mode],
                cohort,
                False,
                n,
                fte,
            )
        )
    return rows


def add_aggregates(snapshot: Path, kpis: dict[tuple[str, int], Decimal | None], years: range) -> None:
    """Write the aggregates into ``snapshot`` (a closed serving-snapshot file)."""
    con = duckdb.connect(str(snapshot))
    try:
        _write(con, kpis, years)
    finally:
        con.close()


def _write(con: duckdb.DuckDBPyConnection, kpis: dict, years: range) -> None:
    con.execute(
        "create table marts.dim_org_unit (institution_code varchar, unit_code varchar, unit_name varchar, "
        "parent_unit_code varchar, unit_type_code varchar, is_teaching boolean, is_active boolean)"
    )
    con.executemany(
        "insert into marts.dim_org_unit values (?, ?, ?, null, ?, ?, true)",
        [(INSTITUTION, c, n, "01" if teach else "02", teach) for c, n, teach in UNITS],
    )
    con.execute(
        "create table marts.agg_student_census (institution_code varchar, academic_year integer, "
        "unit_code varchar, unit_name varchar, major_code varchar, major_name varchar, level_code varchar, "
        "level_name varchar, study_mode_code varchar, study_mode_name varchar, cohort_year integer, "
        "is_international boolean, headcount integer, fte decimal(18,1))"
    )
    con.execute(
        "create table marts.agg_student_flows (institution_code varchar, academic_year integer, "
        "unit_code varchar, unit_name varchar, flow_code varchar, students integer)"
    )
    con.execute(
        "create table marts.agg_pass_rates (institution_code varchar, academic_year integer, term varchar, "
        "unit_code varchar, unit_name varchar, course_code varchar, course_name varchar, attempts integer, "
        "passes integer, pass_rate decimal(38,4))"
    )
    con.execute(
        "create table marts.agg_academic_risk (institution_code varchar, academic_year integer, term varchar, "
        "unit_code varchar, unit_name varchar, students_assessed integer, students_at_risk integer)"
    )
    con.execute(
        "create table marts.agg_graduates (institution_code varchar, academic_year integer, unit_code varchar, "
        "unit_name varchar, level_code varchar, level_name varchar, graduates integer, degree_eligible integer, "
        "degrees_awarded integer, placed integer)"
    )
    con.execute(
        "create table marts.agg_faculty_census (institution_code varchar, academic_year integer, "
        "unit_code varchar, unit_name varchar, title_level varchar, degree_code varchar, degree_name varchar, "
        "age_band varchar, is_double_qualified boolean, fulltime_teachers integer)"
    )
    con.execute(
        "create table marts.agg_external_teachers (institution_code varchar, academic_year integer, "
        "unit_code varchar, unit_name varchar, external_teachers integer)"
    )
    con.execute(
        "create table marts.agg_unit_student_teacher_ratio (institution_code varchar, academic_year integer, "
        "unit_code varchar, unit_name varchar, fte_students decimal(18,1), fulltime_teachers integer, "
        "external_teachers integer, teachers_total decimal(18,1), student_teacher_ratio decimal(18,2))"
    )
    con.execute(
        "create table marts.agg_staff_flows (institution_code varchar, year integer, unit_code varchar, "
        "unit_name varchar, staff_category_code varchar, staff_category_name varchar, joiners integer, "
        "leavers integer)"
    )
    con.execute(
        "create table marts.agg_budget_execution (institution_code varchar, fiscal_year integer, month integer, "
        "unit_code varchar, unit_name varchar, econ_class_code varchar, econ_class_name varchar, "
        "budget decimal(18,2), expenditure decimal(18,2), cumulative_expenditure decimal(18,2))"
    )
    con.execute(
        "create table marts.agg_tuition (institution_code varchar, academic_year integer, unit_code varchar, "
        "unit_name varchar, cohort_year integer, bills integer, amount_due decimal(18,2), "
        "amount_waived decimal(18,2), amount_paid decimal(18,2), arrears decimal(18,2), "
        "collection_rate decimal(38,4))"
    )
    for y in years:
        total = int(kpis.get(("registered_students", y)) or 1000)
        con.executemany(
            "insert into marts.agg_student_census values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            census_rows(y, total),
        )
        flows = []
        for k, (unit, name, _) in enumerate(TEACHING):
            for code, n in (
                ("entrant", 300 + k),
                ("11", 5 + k),
                ("14", 3 + k),
                ("18", 1),
                ("completion", 250 + k),
            ):
                flows.append((INSTITUTION, y, unit, name, code, n))
        con.executemany("insert into marts.agg_student_flows values (?, ?, ?, ?, ?, ?)", flows)
        passes = []
        for k, (course, cname, unit) in enumerate(COURSES):
            for term in (f"{y}-{y + 1}-1", f"{y}-{y + 1}-2"):
                attempts, ok = 200 + 10 * k, 150 + 9 * k
                passes.append(
                    (
                        INSTITUTION,
                        y,
                        term,
                        unit,
                        _unit_name(unit),
                        course,
                        cname,
                        attempts,
                        ok,
                        (Decimal(ok) / Decimal(attempts)).quantize(Decimal("0.0001")),
                    )
                )
        con.executemany("insert into marts.agg_pass_rates values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", passes)
        con.executemany(
            "insert into marts.agg_academic_risk values (?, ?, ?, ?, ?, ?, ?)",
            [
                (INSTITUTION, y, f"{y}-{y + 1}-{term}", unit, name, 400 + 10 * k, 12 + k + term)
                for k, (unit, name, _) in enumerate(TEACHING)
                for term in (1, 2)
            ],
        )
        con.executemany(
            "insert into marts.agg_graduates values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (INSTITUTION, y, unit, name, "1", "本科", 100 + k, 100 + k, 95 + k, 90 + k)
                for k, (unit, name, _) in enumerate(TEACHING)
            ],
        )
        teachers = int(kpis.get(("fulltime_teachers", y)) or 100)
        faculty = []
        combos = [
            (unit, name, title, degree, age, dq)
            for unit, name, _ in TEACHING
            for title in ("正高", "副高", "中级", "初级", "未定职级")
            for degree in ("3", "4")
            for age, dq in (("35岁及以下", False), ("36-45岁", True))
        ]
        base = teachers // len(combos)
        for i, (unit, name, title, degree, age, dq) in enumerate(combos):
            n = base + (teachers - base * len(combos) if i == 0 else 0)
            faculty.append(
                (INSTITUTION, y, unit, name, title, degree, {"3": "硕士", "4": "学士"}[degree], age, dq, n)
            )
        con.executemany("insert into marts.agg_faculty_census values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", faculty)
        con.executemany(
            "insert into marts.agg_external_teachers values (?, ?, ?, ?, ?)",
            [(INSTITUTION, y, unit, name, 10 + k) for k, (unit, name, _) in enumerate(TEACHING)],
        )
        con.executemany(
            "insert into marts.agg_unit_student_teacher_ratio values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    INSTITUTION,
                    y,
                    unit,
                    name,
                    Decimal(2000 + 100 * k),
                    100 + k,
                    10 + k,
                    Decimal(100 + k) + Decimal(10 + k) / 2,
                    (Decimal(2000 + 100 * k) / (Decimal(100 + k) + Decimal(10 + k) / 2)).quantize(
                        Decimal("0.01")
                    ),
                )
                for k, (unit, name, _) in enumerate(TEACHING)
            ],
        )
        con.executemany(
            "insert into marts.agg_staff_flows values (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (INSTITUTION, y, unit, name, cat, catname, 5 + k, 2 + k)
                for k, (unit, name, _) in enumerate(UNITS)
                for cat, catname in (("01", "专任教师"), ("02", "行政人员"))
            ],
        )
        budget_rows = []
        for k, (unit, name, _) in enumerate(UNITS):
            for econ, ename in ECON.items():
                budget = Decimal(1_200_000 * (k + 1)) + Decimal("0.12")
                cum = Decimal(0)
                for month in range(1, 13):
                    spent = Decimal(80_000 * (k + 1)) + Decimal(month)
                    cum += spent
                    budget_rows.append((INSTITUTION, y, month, unit, name, econ, ename, budget, spent, cum))
        con.executemany(
            "insert into marts.agg_budget_execution values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", budget_rows
        )
        tuition = []
        for k, (unit, name, _) in enumerate(TEACHING):
            for cohort in range(y - 3, y + 1):
                due, waived = Decimal(1_000_000 + 1000 * k), Decimal(10_000)
                paid = due - waived - Decimal(20_000 + cohort - y)
                tuition.append(
                    (
                        INSTITUTION,
                        y,
                        unit,
                        name,
                        cohort,
                        200,
                        due,
                        waived,
                        paid,
                        due - waived - paid,
                        (paid / (due - waived)).quantize(Decimal("0.0001")),
                    )
                )
        con.executemany("insert into marts.agg_tuition values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", tuition)


#: English names as the seed name_translations carries them into the marts (*_name_en); U03, the
#: major M032 and the course C0301 deliberately have none (the pages fall back to the Chinese name).
UNIT_NAMES_EN = {
    "U01": "School of Computer and Information Engineering",
    "U02": "School of Foreign Languages",
    "A01": "Finance Office",
}
MAJOR_NAMES_EN = {"M011": "Computer Science and Technology", "M021": "English", "M031": "Accounting"}
COURSE_NAMES_EN = {"C0101": "Advanced Mathematics", "C0102": "Data Structures and Algorithms"}


def add_english_names(snapshot: Path) -> None:
    """Add ``unit_name_en`` (every table with ``unit_name``), ``major_name_en`` and
    ``course_name_en`` to the aggregates of ``snapshot``, filled from the maps above."""
    con = duckdb.connect(str(snapshot))
    try:
        tables = con.execute(
            "select table_name, column_name from information_schema.columns where table_schema = 'marts' "
            "and column_name in ('unit_name', 'major_name', 'course_name')"
        ).fetchall()
        for table, column in tables:
            code = column.replace("_name", "_code")
            names = {"unit_name": UNIT_NAMES_EN, "major_name": MAJOR_NAMES_EN, "course_name": COURSE_NAMES_EN}
            con.execute(f"alter table marts.{table} add column {column}_en varchar")
            for key, english in names[column].items():
                con.execute(f"update marts.{table} set {column}_en = ? where {code} = ?", [english, key])
    finally:
        con.close()
