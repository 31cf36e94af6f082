"""Regression: GX 1.x validates a pandas DataFrame that came from DuckDB through Arrow.

The design relies on this path (GX cannot validate DuckDB via SQLAlchemy). If a GX upgrade
breaks it, this test fails.
"""

from __future__ import annotations

import duckdb
import pyarrow as pa

from data_contracts.gx_suites import build_suite, import_gx
from data_contracts.loader import Fix, Rule


def _rule(rid: str, kind: str, column: str | None, **params) -> Rule:
    return Rule(
        id=rid,
        system="academic",
        table="t",
        column=column,
        severity="error",
        kind=kind,
        params=params,
        description=rid,
        fix=Fix("修", "fix"),
        owner="academic_office",
        origin="test",
    )


def test_gx_validates_a_dataframe_from_duckdb_arrow():
    gx = import_gx()
    con = duckdb.connect()
    rel = con.sql("""select * from (values ('1', '1', 50.0, true), ('2', '男', 105.0, true), ('2', null, 70.0, false),
                     ('4', '2', null, true)) v(xh, xbm, kscj__num, "__ok__academic__t__r")""")
    out = rel.arrow()
    tbl = out.read_all() if isinstance(out, pa.RecordBatchReader) else out
    df = tbl.to_pandas()
    rules = [
        _rule("academic.t.xh.unique", "unique", "xh"),
        _rule("academic.t.xbm.not_null", "not_null", "xbm"),
        _rule("academic.t.xbm.in_set", "in_set", "xbm", value_set=["0", "1", "2", "9"]),
        _rule("academic.t.xh.pattern", "regex", "xh", regex="^[0-9]+$"),
        _rule("academic.t.kscj.range", "between", "kscj", min_value=0, max_value=100),
        _rule("academic.t.r", "expression", None, sql="true"),
        _rule("academic.t.pk_unique", "compound_unique", None, columns=["xh", "xbm"]),
    ]
    ctx = gx.get_context(mode="ephemeral")
    from great_expectations.data_context.types.base import ProgressBarsConfig

    ctx.variables.progress_bars = ProgressBarsConfig(globally=False)
    batch_def = (
        ctx.data_sources.add_pandas("p").add_dataframe_asset("a").add_batch_definition_whole_dataframe("b")
    )
    suite = ctx.suites.add(build_suite("s", rules))
    vd = ctx.validation_definitions.add(gx.ValidationDefinition(name="v", data=batch_def, suite=suite))
    res = vd.run(batch_parameters={"dataframe": df}, result_format="SUMMARY")
    got = {
        r.expectation_config.meta["rule_id"]: (r.success, r.result.get("unexpected_count"))
        for r in res.results
    }
    assert got == {
        "academic.t.xh.unique": (False, 2),
        "academic.t.xbm.not_null": (False, 1),
        "academic.t.xbm.in_set": (False, 1),
        "academic.t.xh.pattern": (True, 0),
        "academic.t.kscj.range": (False, 1),
        "academic.t.r": (False, 1),
        "academic.t.pk_unique": (True, 0),
    }
