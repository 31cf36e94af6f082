"""The indicator interface of kpis.md: ``campus-dw kpis`` reads the published values.

The definitions live in dbt (``marts.fct_kpi_values``); this module only selects and
formats them.  The list below fixes the ids, their order and how many decimals each
published value has.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

#: id -> (decimals, name_zh, name_en), in kpis.md's order
KPI_CATALOGUE: dict[str, tuple[int, str, str]] = {
    "registered_students": (0, "在校生数", "Registered students"),
    "fulltime_students": (0, "全日制在校生数", "Full-time students"),
    "fte_students": (1, "折合在校生数", "Full-time-equivalent students"),
    "fulltime_teachers": (0, "专任教师数", "Full-time teachers"),
    "external_teachers": (0, "聘请校外教师数", "External teachers engaged"),
    "teachers_total": (1, "教师总数", "Teachers in total"),
    "student_teacher_ratio": (2, "生师比", "Student-teacher ratio"),
    "pct_teachers_postgrad_degree": (
        4,
        "具有研究生学位教师占专任教师比例",
        "Share of full-time teachers with a postgraduate degree",
    ),
    "pct_teachers_senior_title": (
        4,
        "具有高级职务教师占专任教师比例",
        "Share of full-time teachers with a senior title",
    ),
    "pct_teachers_double_qualified": (4, "双师型教师比例", "Share of double-qualified teachers"),
    "entrants": (0, "新增学生", "Entrants"),
    "leavers": (0, "离校(退学等)", "Leavers (withdrawal etc.)"),
    "completions": (0, "结束学业", "Completions"),
    "first_attempt_pass_rate": (4, "课程首考通过率", "First-attempt course pass rate"),
    "graduates": (0, "毕业生数", "Graduates"),
    "degree_award_rate": (4, "学位授予率", "Degree award rate"),
    "employment_rate": (4, "毕业去向落实率", "Graduate placement rate"),
    "withdrawal_rate": (4, "退学率", "Withdrawal rate"),
    "budget_total": (2, "预算总额", "Budget total (yuan)"),
    "expenditure_total": (2, "实际支出", "Expenditure (yuan)"),
    "budget_execution_rate": (4, "预算支出执行率", "Budget execution rate"),
    "personnel_expenditure_ratio": (4, "人员支出比率", "Personnel expenditure ratio"),
    "tuition_collection_rate": (4, "学费收缴率", "Tuition collection rate"),
    "expenditure_per_student": (2, "生均支出", "Expenditure per full-time student (yuan)"),
}

KPI_QUERY = """
select kpi_id, value
from marts.fct_kpi_values
where (academic_year = ? or academic_year is null)
  and (fiscal_year = ? or fiscal_year is null)
"""


def json_number(value: Any, decimals: int) -> int | float | None:
    """A published value as a JSON number with its fixed number of decimals."""
    if value is None:
        return None
    d = Decimal(str(value)).quantize(Decimal(1).scaleb(-decimals)) if decimals else Decimal(str(value))
    if decimals == 0:
        return int(d)
    return float(d)


def kpi_document(rows: list[tuple[str, Any]], year: int, fiscal_year: int) -> dict[str, Any]:
    """The JSON object of kpis.md from ``(kpi_id, value)`` rows (pure helper)."""
    values: dict[str, Any] = {}
    for kpi_id, value in rows:
        if kpi_id in values and values[kpi_id] is not None and value is not None and values[kpi_id] != value:
            raise ValueError(f"two different published values for {kpi_id}")
        values[kpi_id] = value
    return {
        "academic_year": f"{year}-{year + 1}",
        "census_date": f"{year}-09-30",
        "fiscal_year": fiscal_year,
        "kpis": {k: json_number(values.get(k), dec) for k, (dec, _zh, _en) in KPI_CATALOGUE.items()},
    }


def format_table(doc: dict[str, Any]) -> str:
    lines = [
        f"学年 academic year {doc['academic_year']} · 统计时点 census {doc['census_date']} · "
        f"财年 fiscal year {doc['fiscal_year']}",
        "",
    ]
    width = max(len(k) for k in KPI_CATALOGUE)
    for kpi_id, (dec, zh, en) in KPI_CATALOGUE.items():
        v = doc["kpis"][kpi_id]
        shown = "—" if v is None else (f"{v:,}" if dec == 0 else f"{v:,.{dec}f}")
        lines.append(f"{kpi_id:<{width}}  {shown:>18}  {zh} / {en}")
    return "\n".join(lines)
