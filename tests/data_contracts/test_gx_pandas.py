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
    # import_gx switches GX's batch fingerprint off (a full hash of every batch, unused here): the
    # constant must still exist and the marker must be gone, or a GX upgrade changed the engine
    from great_expectations.execution_engine import pandas_execution_engine

    assert pandas_execution_engine.HASH_THRESHOLD == 0
    markers = res.meta.get("batch_markers") or {}
    assert "ge_load_time" in markers  # markers are still written ...
    assert "pandas_data_fingerprint" not in markers  # ... without the fingerprint


def test_large_string_single_batch_reaches_gx_unchanged():
    """The runner exports the checked rows as one batch of large_string columns (zero-copy into
    pandas); GX must count the same as over DuckDB's default Arrow export."""
    con = duckdb.connect()
    con.execute("set arrow_large_buffer_size = true")
    out = con.sql(
        "select case when i % 7 = 0 then null else 'x' || (i % 5) end as v from range(30000) t(i)"
    ).arrow(1 << 20)
    tbl = out.read_all() if isinstance(out, pa.RecordBatchReader) else out
    assert tbl.schema.field("v").type == pa.large_string()
    assert tbl.column("v").num_chunks == 1
    df = tbl.to_pandas()
    gx = import_gx()
    ctx = gx.get_context(mode="ephemeral")
    batch_def = (
        ctx.data_sources.add_pandas("p").add_dataframe_asset("a").add_batch_definition_whole_dataframe("b")
    )
    rules = [
        _rule("academic.t.v.not_null", "not_null", "v"),
        _rule("academic.t.v.in_set", "in_set", "v", value_set=["x0", "x1", "x2"]),
    ]
    suite = ctx.suites.add(build_suite("s", rules))
    vd = ctx.validation_definitions.add(gx.ValidationDefinition(name="v", data=batch_def, suite=suite))
    res = vd.run(batch_parameters={"dataframe": df}, result_format="BASIC")
    got = {r.expectation_config.meta["rule_id"]: r.result.get("unexpected_count") for r in res.results}
    n_null = sum(1 for i in range(30000) if i % 7 == 0)
    n_out = sum(1 for i in range(30000) if i % 7 and i % 5 in (3, 4))
    assert got == {"academic.t.v.not_null": n_null, "academic.t.v.in_set": n_out}
