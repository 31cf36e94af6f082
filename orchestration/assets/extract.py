"""Extract assets: one asset per source table, one multi-asset per source system.

The work is done by ``extractors`` (plain Python); this module only wraps it for Dagster
and reports the bookkeeping (rows read, landed, quarantined, deleted, duration) as
asset metadata.
"""

from collections.abc import Iterator
from datetime import timedelta

import dagster as dg

from extractors.catalog import load_catalog
from orchestration.resources import CampusSettings

RAW_GROUP = "raw"
FILE_TABLES = {"finance": ["finance__budget", "finance__ledger"], "payment": ["payment__bills"]}


class ExtractConfig(dg.Config):
    mode: str = "incremental"  # "full" or "incremental"


def raw_tables(system: str) -> list[str]:
    if system in FILE_TABLES:
        return FILE_TABLES[system]
    return [t.raw_name for t in load_catalog()[system].values()]


def raw_key(raw_table: str) -> dg.AssetKey:
    return dg.AssetKey(["raw", raw_table])


def _build(system: str) -> dg.AssetsDefinition:
    specs = [
        dg.AssetSpec(
            raw_key(t),
            group_name=RAW_GROUP,
            kinds={"duckdb"},
            description=f"Raw landing of {t} (as delivered, versioned, with load metadata)",
            tags={"system": system},
        )
        for t in raw_tables(system)
    ]

    @dg.multi_asset(
        name=f"extract_{system}",
        specs=specs,
        can_subset=True,
        retry_policy=dg.RetryPolicy(max_retries=2, delay=5, backoff=dg.Backoff.EXPONENTIAL),
        op_tags={"warehouse": "writer"},
        pool="warehouse",
    )
    def _extract(
        context: dg.AssetExecutionContext, config: ExtractConfig, campus: CampusSettings
    ) -> Iterator[dg.MaterializeResult]:
        from orchestration import pipeline

        settings = campus.load()
        selected = {k.path[-1] for k in context.selected_asset_keys}
        results = pipeline.extract_step(
            settings,
            system=system,
            mode=config.mode,
            run_id=context.run.run_id,
            log=pipeline.step_logger(context),
        )
        failures = [f"{r.table}: {r.message}" for r in results if r.table.endswith("__*")]
        for res in results:
            if res.table not in selected:
                continue
            if res.status == "failed":
                failures.append(f"{res.table}: {res.message}")
                continue
            yield dg.MaterializeResult(asset_key=raw_key(res.table), metadata=res.metadata())
        if failures:
            raise dg.Failure(description=f"extraction of {system} failed for: " + "; ".join(failures))

    return _extract


SYSTEMS = ["academic", "hr", "finance", "payment"]


def extract_assets() -> list[dg.AssetsDefinition]:
    return [_build(s) for s in SYSTEMS]


def freshness_checks() -> list[dg.AssetChecksDefinition]:
    """Per source system: warn when its raw tables were not refreshed within the expected window."""
    checks: list[dg.AssetChecksDefinition] = []
    windows = {
        "academic": timedelta(hours=26),
        "hr": timedelta(hours=26),
        "finance": timedelta(days=35),
        "payment": timedelta(hours=2),
    }
    for system, window in windows.items():
        checks.extend(
            dg.build_last_update_freshness_checks(
                assets=[raw_key(t) for t in raw_tables(system)],
                lower_bound_delta=window,
                timezone="Asia/Shanghai",
            )
        )
    return checks
