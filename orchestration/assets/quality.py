"""Data-contract checks (Great Expectations through pandas, data_contracts/) as Dagster asset checks.

One multi-asset check validates what the run landed in raw against the contracts, persists
the results (schema ``quality``) and reports one check result per raw table.  A failed
*blocking* rule fails its check with severity ERROR, and the checks are blocking, so dbt
and the publish step do not run: the previous snapshot stays published.  Error and warning
rules are reported (severity WARN) and do not stop the run.
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
    mine = [r for r in results if f"{r.system}__{r.table_name}" == raw_table]
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
