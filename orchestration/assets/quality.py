"""Data-contract checks (Great Expectations through pandas, data_contracts/) as Dagster asset checks.

One multi-asset check validates what the run landed in raw against the contracts, persists
the results (schema ``quality``) and reports one check result per raw table.  A failed
*blocking* rule fails its check with severity ERROR, and the checks are blocking, so dbt
and the publish step do not run: the previous snapshot stays published.  Error and warning
rules are reported (severity WARN) and do not stop the run.

A second multi-asset check does the same for the published marts after ``dbt build``
(``data_contracts/marts/``, results with system ``marts``): a blocking failure there stops
the publish asset, which depends on the marts.
"""

from collections.abc import Iterator

import dagster as dg

from orchestration.assets.extract import SYSTEMS, raw_key, raw_tables
from orchestration.resources import CampusSettings

CHECK_NAME = "data_contract"


def all_raw_tables() -> list[str]:
    return [t for s in SYSTEMS for t in raw_tables(s)]


def summarise(results, raw_table: str) -> tuple[bool, dg.AssetCheckSeverity, dict]:
    """Verdict for one raw table from its rule results (pure helper, unit-tested)."""
    return _verdict([r for r in results if f"{r.system}__{r.table_name}" == raw_table])


def summarise_mart(results, mart: str) -> tuple[bool, dg.AssetCheckSeverity, dict]:
    """Verdict for one mart (``fct_kpi_values``) from its rule results (pure helper)."""
    return _verdict([r for r in results if r.system == "marts" and r.table_name == mart])


def _verdict(mine: list) -> tuple[bool, dg.AssetCheckSeverity, dict]:
    failed = [r for r in mine if r.status in ("fail", "error")]
    blocking = [r for r in failed if r.severity == "blocking"]
    by_sev = {s: sum(1 for r in failed if r.severity == s) for s in ("blocking", "error", "warn")}
    metadata = {
        "rules_checked": len(mine),
        "rules_failed_blocking": by_sev["blocking"],
        "rules_failed_error": by_sev["error"],
        "rules_failed_warn": by_sev["warn"],
        "rows_failed": sum(r.failed_rows for r in failed),
        "failed_rules": ", ".join(sorted(r.rule_id for r in failed))[:2000],
    }
    if blocking:
        return False, dg.AssetCheckSeverity.ERROR, metadata
    return not failed, dg.AssetCheckSeverity.WARN, metadata


def build_contract_checks() -> dg.AssetChecksDefinition:
    specs = [
        dg.AssetCheckSpec(
            CHECK_NAME,
            asset=raw_key(t),
            blocking=True,
            description="the table's data contract (data_contracts/), checked with GX",
        )
        for t in all_raw_tables()
    ]

    @dg.multi_asset_check(
        specs=specs, name="data_contracts", can_subset=True, op_tags={"warehouse": "writer"}, pool="warehouse"
    )
    def data_contracts(
        context: dg.AssetCheckExecutionContext, campus: CampusSettings
    ) -> Iterator[dg.AssetCheckResult]:
        from orchestration import pipeline

        settings = campus.load()
        selected = {key.asset_key.path[-1] for key in context.selected_asset_check_keys}
        report = pipeline.quality_step(
            settings,
            run_id=context.run.run_id,
            raw_tables=sorted(selected),
            log=pipeline.step_logger(context),
        )
        if report.blocking_failed:  # nothing will publish: the stewards get the run's reports now
            pipeline.blocked_run_reports(
                settings, run_id=context.run.run_id, log=pipeline.step_logger(context)
            )
        for table in sorted(selected):
            passed, severity, metadata = summarise(report.results, table)
            yield dg.AssetCheckResult(
                asset_key=raw_key(table),
                check_name=CHECK_NAME,
                passed=passed,
                severity=severity,
                metadata=metadata,
            )

    return data_contracts


MART_CHECK_NAME = "mart_contract"


def contracted_marts() -> list[str]:
    from data_contracts.loader import load_mart_contracts

    return sorted(c.table for c in load_mart_contracts().values())


def build_mart_checks(marts: list[str] | None = None) -> dg.AssetChecksDefinition:
    """Blocking checks of the mart contracts on ``marts/<mart>`` (after dbt build, before publish)."""
    specs = [
        dg.AssetCheckSpec(
            MART_CHECK_NAME,
            asset=dg.AssetKey(["marts", m]),
            blocking=True,
            description="the mart's data contract (data_contracts/marts/), checked with GX after dbt build",
        )
        for m in (marts if marts is not None else contracted_marts())
    ]

    @dg.multi_asset_check(
        specs=specs, name="mart_contracts", can_subset=True, op_tags={"warehouse": "writer"}, pool="warehouse"
    )
    def mart_contracts(
        context: dg.AssetCheckExecutionContext, campus: CampusSettings
    ) -> Iterator[dg.AssetCheckResult]:
        from orchestration import pipeline

        settings = campus.load()
        selected = sorted({key.asset_key.path[-1] for key in context.selected_asset_check_keys})
        report = pipeline.mart_quality_step(
            settings, run_id=context.run.run_id, marts=selected, log=pipeline.step_logger(context)
        )
        if report.blocking_failed:  # nothing will publish: the stewards get the run's reports now
            pipeline.blocked_run_reports(
                settings, run_id=context.run.run_id, log=pipeline.step_logger(context)
            )
        for mart in selected:
            passed, severity, metadata = summarise_mart(report.results, mart)
            yield dg.AssetCheckResult(
                asset_key=dg.AssetKey(["marts", mart]),
                check_name=MART_CHECK_NAME,
                passed=passed,
                severity=severity,
                metadata=metadata,
            )

    return mart_contracts


def build_data_docs_asset() -> dg.AssetsDefinition:
    """GX Data Docs of the run, built after the publish (off the critical path; never fails the run)."""

    @dg.asset(
        key=dg.AssetKey(["quality", "data_docs"]),
        group_name="publish",
        deps=[dg.AssetKey(["serving", "snapshot"])],
        kinds={"html"},
        description="Great Expectations Data Docs of the run's validations (<home>/quality/data_docs/<run>/index.html).",
    )
    def data_docs(context: dg.AssetExecutionContext, campus: CampusSettings) -> dg.MaterializeResult:
        from orchestration import pipeline

        settings = campus.load()
        info = pipeline.data_docs_step(settings, run_id=context.run.run_id, log=pipeline.step_logger(context))
        return dg.MaterializeResult(metadata=info)

    return data_docs
