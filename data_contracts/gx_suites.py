"""Contracts -> Great Expectations 1.x expectation suites (generated, never hand-kept).

Each :class:`~data_contracts.loader.Rule` becomes exactly one expectation, carrying the rule's id,
severity and owner in ``meta``:

=================  ==============================================================
rule kind          expectation (built-in)
=================  ==============================================================
not_null           ExpectColumnValuesToNotBeNull(column)
unique             ExpectColumnValuesToBeUnique(column)
compound_unique    ExpectCompoundColumnsToBeUnique(column_list)
in_set             ExpectColumnValuesToBeInSet(column, value_set)
regex              ExpectColumnValuesToMatchRegex(column, regex)
between            ExpectColumnValuesToBeBetween(column="<col>__num", min, max)
expression         ExpectColumnValuesToBeInSet(column="__ok__<rule>", value_set=[True])
=================  ==============================================================

Rules GX cannot express natively (GB 11643 checksums via python-stdnum, cross-column and
cross-table rules) are computed FIRST, in DuckDB SQL, as a boolean column of the DataFrame
(``__ok__<rule id>``, NULL coerced to FALSE) and the suite expects that column to be TRUE.
Range checks read ``<col>__num``, the raw VARCHAR parsed as a number in SQL (thousands
separators removed), because raw keeps every value as text.

:func:`expectation_specs` is the GX-free description (plain dicts) used by tests and docs;
:func:`build_suite` turns it into GX objects (importing GX, ~10 s, only when called).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any

from data_contracts.loader import Rule

GX_TYPES = {
    "not_null": "expect_column_values_to_not_be_null",
    "unique": "expect_column_values_to_be_unique",
    "compound_unique": "expect_compound_columns_to_be_unique",
    "in_set": "expect_column_values_to_be_in_set",
    "regex": "expect_column_values_to_match_regex",
    "between": "expect_column_values_to_be_between",
    "expression": "expect_column_values_to_be_in_set",
}
_CLASSES = {
    "expect_column_values_to_not_be_null": "ExpectColumnValuesToNotBeNull",
    "expect_column_values_to_be_unique": "ExpectColumnValuesToBeUnique",
    "expect_compound_columns_to_be_unique": "ExpectCompoundColumnsToBeUnique",
    "expect_column_values_to_be_in_set": "ExpectColumnValuesToBeInSet",
    "expect_column_values_to_match_regex": "ExpectColumnValuesToMatchRegex",
    "expect_column_values_to_be_between": "ExpectColumnValuesToBeBetween",
}


def ok_column(rule_id: str) -> str:
    """DataFrame column holding a computed rule's boolean result."""
    return "__ok__" + rule_id.replace(".", "__")


def num_column(column: str) -> str:
    return f"{column}__num"


def df_column(rule: Rule) -> str | None:
    """The DataFrame column the rule's expectation reads (None for compound uniqueness)."""
    if rule.kind == "expression":
        return ok_column(rule.id)
    if rule.kind == "between":
        return num_column(rule.column or "")
    if rule.kind == "compound_unique":
        return None
    return rule.column


def expectation_spec(rule: Rule) -> dict[str, Any]:
    """One rule -> ``{"type", "kwargs", "meta"}`` (the expectation, without importing GX)."""
    meta = {"rule_id": rule.id, "severity": rule.severity, "owner": rule.owner, "table": rule.table_key}
    k = rule.kind
    if k == "compound_unique":
        kwargs: dict[str, Any] = {"column_list": list(rule.params["columns"])}
    elif k == "in_set":
        kwargs = {"column": rule.column, "value_set": list(rule.params["value_set"])}
    elif k == "regex":
        kwargs = {"column": rule.column, "regex": rule.params["regex"]}
    elif k == "between":
        kwargs = {
            "column": num_column(rule.column or ""),
            "min_value": rule.params["min_value"],
            "max_value": rule.params["max_value"],
        }
    elif k == "expression":
        kwargs = {"column": ok_column(rule.id), "value_set": [True]}
        meta["computed_sql"] = rule.params["sql"]
    else:  # not_null, unique
        kwargs = {"column": rule.column}
    return {"type": GX_TYPES[k], "kwargs": kwargs, "meta": meta}


def expectation_specs(rules: Iterable[Rule]) -> list[dict[str, Any]]:
    return [expectation_spec(r) for r in rules]


def import_gx():
    """Import great_expectations with analytics off (design: no phoning home), and without GX's
    pandas batch fingerprint.

    GX's pandas engine hashes every batch under 1 GB (``pd.util.hash_pandas_object`` over every
    column, then md5) into the batch marker ``pandas_data_fingerprint``.  Nothing here reads it
    (a run is identified by its run id, the rows by their source keys), and it was the largest
    single cost of validating a big table: 1.8 s of 5.2 s for academic.cjxx on the medium college
    (2.3 M rows, 19 columns).  Its threshold is a module constant of GX, set to 0 here;
    tests/data_contracts/test_gx_pandas.py fails if a GX upgrade moves it."""
    os.environ["GX_ANALYTICS_ENABLED"] = "false"
    import great_expectations as gx
    from great_expectations.execution_engine import pandas_execution_engine

    pandas_execution_engine.HASH_THRESHOLD = 0
    return gx


def build_suite(name: str, rules: Iterable[Rule]):
    """A GX ``ExpectationSuite`` named ``name`` with one expectation per rule."""
    gx = import_gx()
    import great_expectations.expectations as gxe

    suite = gx.ExpectationSuite(name=name)
    for spec in expectation_specs(rules):
        cls = getattr(gxe, _CLASSES[spec["type"]])
        suite.add_expectation(cls(**spec["kwargs"], meta=spec["meta"]))
    return suite
