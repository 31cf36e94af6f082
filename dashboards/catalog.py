"""The indicators of kpis.md as the dashboards present them: kind of number, year basis, group.

The published values themselves come from ``marts.fct_kpi_values``; names and definitions from
``marts.dim_kpi``.  What lives here is presentation only (how to format, which direction is good,
where a card goes), so it cannot disagree with the warehouse about a value.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["count", "decimal", "ratio", "money"]
Basis = Literal["academic", "fiscal", "both"]
Better = Literal["up", "down"] | None
Group = Literal["students", "faculty", "flows", "teaching", "finance"]

GROUPS: tuple[Group, ...] = ("students", "faculty", "flows", "teaching", "finance")


@dataclass(frozen=True)
class KpiSpec:
    id: str
    kind: Kind
    decimals: int  # decimals of the published value (kpis.md "Numbers")
    basis: Basis
    group: Group
    better: Better = None  # which direction of change is good (colours the delta)
    unit_key: str = "unit_plain"


KPIS: tuple[KpiSpec, ...] = (
    KpiSpec("registered_students", "count", 0, "academic", "students", None, "unit_count"),
    KpiSpec("fulltime_students", "count", 0, "academic", "students", None, "unit_count"),
    KpiSpec("fte_students", "decimal", 1, "academic", "students", None, "unit_fte"),
    KpiSpec("fulltime_teachers", "count", 0, "academic", "faculty", "up", "unit_count"),
    KpiSpec("external_teachers", "count", 0, "academic", "faculty", None, "unit_count"),
    KpiSpec("teachers_total", "decimal", 1, "academic", "faculty", "up", "unit_fte"),
    KpiSpec("student_teacher_ratio", "decimal", 2, "academic", "faculty", "down", "unit_str"),
    KpiSpec("pct_teachers_postgrad_degree", "ratio", 4, "academic", "faculty", "up", "unit_ratio"),
    KpiSpec("pct_teachers_senior_title", "ratio", 4, "academic", "faculty", "up", "unit_ratio"),
    KpiSpec("pct_teachers_double_qualified", "ratio", 4, "academic", "faculty", "up", "unit_ratio"),
    KpiSpec("entrants", "count", 0, "academic", "flows", None, "unit_count"),
    KpiSpec("leavers", "count", 0, "academic", "flows", "down", "unit_count"),
    KpiSpec("completions", "count", 0, "academic", "flows", None, "unit_count"),
    KpiSpec("first_attempt_pass_rate", "ratio", 4, "academic", "teaching", "up", "unit_ratio"),
    KpiSpec("graduates", "count", 0, "academic", "teaching", None, "unit_count"),
    KpiSpec("degree_award_rate", "ratio", 4, "academic", "teaching", "up", "unit_ratio"),
    KpiSpec("employment_rate", "ratio", 4, "academic", "teaching", "up", "unit_ratio"),
    KpiSpec("withdrawal_rate", "ratio", 4, "academic", "teaching", "down", "unit_ratio"),
    KpiSpec("budget_total", "money", 2, "fiscal", "finance", None, "unit_money"),
    KpiSpec("expenditure_total", "money", 2, "fiscal", "finance", None, "unit_money"),
    KpiSpec("budget_execution_rate", "ratio", 4, "fiscal", "finance", None, "unit_ratio"),
    KpiSpec("personnel_expenditure_ratio", "ratio", 4, "fiscal", "finance", None, "unit_ratio"),
    KpiSpec("tuition_collection_rate", "ratio", 4, "academic", "finance", "up", "unit_ratio"),
    KpiSpec("expenditure_per_student", "money", 2, "both", "finance", None, "unit_money_per_student"),
)

BY_ID: dict[str, KpiSpec] = {k.id: k for k in KPIS}


def in_group(group: Group) -> list[KpiSpec]:
    return [k for k in KPIS if k.group == group]


# -- basic running conditions (基本办学条件) ------------------------------------------------------
Direction = Literal["max", "min"]


@dataclass(frozen=True)
class ConditionSpec:
    kpi_id: str
    direction: Direction  # "max": the value must stay at or below the lines; "min": at or above


CONDITIONS: tuple[ConditionSpec, ...] = (
    ConditionSpec("student_teacher_ratio", "max"),
    ConditionSpec("pct_teachers_postgrad_degree", "min"),
)
