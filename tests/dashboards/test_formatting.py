"""Pure helpers of the dashboards: formatting, year selection, running-condition judgement, i18n."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
import pytest

from dashboards.catalog import BY_ID, CONDITIONS, KPIS
from dashboards.formatting import (
    card,
    condition_result,
    format_delta,
    format_raw,
    format_value,
    select_year,
    trend_rows,
)
from dashboards.i18n import KPI_NAMES, LANGS, STRINGS, t

D = Decimal


@pytest.mark.parametrize(
    ("kpi_id", "value", "zh", "en"),
    [
        ("registered_students", D("12345.0000"), "12,345", "12,345"),
        ("fte_students", D("13012.3500"), "13,012.4", "13,012.4"),  # half-up
        ("student_teacher_ratio", D("18.0050"), "18.01", "18.01"),
        ("pct_teachers_postgrad_degree", D("0.3000"), "30.00%", "30.00%"),
        ("withdrawal_rate", D("0.0125"), "1.25%", "1.25%"),
        ("budget_execution_rate", D("1.0731"), "107.31%", "107.31%"),  # not clipped
        ("budget_total", D("123456789.1200"), "12,345.68 万元", "¥123.46 million"),
        ("expenditure_per_student", D("9999.9900"), "9,999.99 元", "¥9,999.99"),
        ("expenditure_total", D("-25000.0000"), "-2.50 万元", "-¥25,000.00"),
        ("graduates", None, "—", "—"),
    ],
)
def test_format_value(kpi_id: str, value: Decimal | None, zh: str, en: str) -> None:
    assert format_value(value, BY_ID[kpi_id], "zh") == zh
    assert format_value(value, BY_ID[kpi_id], "en") == en


def test_format_delta() -> None:
    ratio = BY_ID["first_attempt_pass_rate"]
    assert format_delta(D("0.8123"), D("0.8000"), ratio, "zh") == "+1.23 个百分点"
    assert format_delta(D("0.8000"), D("0.8123"), ratio, "en") == "-1.23 pp"
    assert format_delta(D("5"), D("5"), BY_ID["graduates"], "zh") == 0
    assert format_delta(D("5"), None, BY_ID["graduates"], "zh") is None
    assert format_delta(D("120"), D("100"), BY_ID["graduates"], "zh") == "+20"
    assert format_delta(D("1234567.00"), D("1000000.00"), BY_ID["budget_total"], "zh") == "+23.46 万元"


def test_format_raw_is_exact() -> None:
    assert format_raw(D("0.8123")) == "0.8123"
    assert format_raw(D("12345.0000")) == "12345"
    assert format_raw(D("0E-4")) == "0"
    assert format_raw(None) == "null"


def _values(rows: list[tuple]) -> pd.DataFrame:
    df = pd.DataFrame(
        rows, columns=["kpi_id", "academic_year", "fiscal_year", "value", "numerator", "denominator"]
    )
    df["academic_year"] = df["academic_year"].astype("Int64")
    df["fiscal_year"] = df["fiscal_year"].astype("Int64")
    return df


def test_select_year_follows_the_architecture_rule() -> None:
    df = _values(
        [
            ("registered_students", 2025, None, D(1), None, None),
            ("registered_students", 2024, None, D(2), None, None),
            ("budget_total", None, 2025, D(3), None, None),
            ("budget_total", None, 2024, D(4), None, None),
            ("expenditure_per_student", 2025, 2025, D(5), None, None),
            ("expenditure_per_student", 2025, 2024, D(6), None, None),
            ("constant", None, None, D(7), None, None),
        ]
    )
    got = dict(zip(*[select_year(df, 2025, 2024)[c] for c in ("kpi_id", "value")], strict=True))
    assert got == {
        "registered_students": D(1),
        "budget_total": D(4),
        "expenditure_per_student": D(6),
        "constant": D(7),
    }


def test_trend_rows_take_ten_years_and_pair_f_with_y() -> None:
    rows = [("registered_students", y, None, D(y), None, None) for y in range(2010, 2026)]
    rows += [("budget_total", None, y, D(y), None, None) for y in range(2010, 2027)]
    rows += [("expenditure_per_student", 2025, f, D(f), None, None) for f in (2024, 2025)]
    specs = [BY_ID["registered_students"], BY_ID["budget_total"], BY_ID["expenditure_per_student"]]
    out = trend_rows(_values(rows), specs, 2025, 2026)
    assert out[out.kpi_id == "registered_students"]["year"].tolist() == list(range(2016, 2026))
    assert out[out.kpi_id == "budget_total"]["year"].tolist() == list(range(2017, 2027))
    assert out[out.kpi_id == "expenditure_per_student"]["value"].tolist() == [D(2025)]


def test_running_condition_card() -> None:
    ratio, postgrad = CONDITIONS

    def results(str_value, pg_value):
        return [
            condition_result(ratio, str_value, 18, 22),
            condition_result(postgrad, pg_value, D("0.30"), D("0.15")),
        ]

    assert card(results(D("17.99"), D("0.31"))) == ("none", 0)
    assert card(results(D("18.00"), D("0.30"))) == ("none", 0)  # on the line meets it
    assert card(results(D("20.00"), D("0.20"))) == ("none", 0)  # below pass, above limiting: no card
    assert card(results(D("22.01"), D("0.20"))) == ("yellow", 1)
    assert card(results(D("22.01"), D("0.1499"))) == ("red", 2)
    assert card(results(None, D("0.31"))) == ("unknown", 1)
    r = condition_result(ratio, D("20"), 18, 22)
    assert (r.meets_pass, r.meets_limit) == (False, True)
    # the mart's flags win, except that a missing value is never judged (the mart writes false)
    assert condition_result(ratio, D("20"), 18, 22, True, True).meets_pass is True
    assert condition_result(ratio, None, 18, 22, False, False).meets_limit is None


def test_every_string_has_both_languages() -> None:
    for key, texts in STRINGS.items():
        assert set(texts) == set(LANGS), key
    for spec in KPIS:
        assert spec.id in KPI_NAMES
    assert t("data_as_of", "en", ts="x") == "Data as of x"
    assert t("data_as_of", "fr", ts="x") == "数据截至 x"  # unknown language falls back to Chinese
