"""Publish asset: after the blocking checks passed, a new serving snapshot (PII masked) and the
stewards' quality snapshot, switched atomically."""

import dagster as dg

from orchestration.resources import CampusSettings


def build_publish_asset(upstream: list[dg.AssetsDefinition]) -> dg.AssetsDefinition:
    @dg.asset(
        key=dg.AssetKey(["serving", "snapshot"]),
        group_name="publish",
        deps=upstream,
        kinds={"duckdb"},
        op_tags={"warehouse": "writer"},
        pool="warehouse",
        description="The published serving snapshot (marts only, personal data masked) and the quality snapshot.",
    )
    def serving_snapshot(context: dg.AssetExecutionContext, campus: CampusSettings) -> dg.MaterializeResult:
        from orchestration import pipeline

        settings = campus.load()
        info = pipeline.publish_step(settings, run_id=context.run.run_id, log=pipeline.step_logger(context))
        return dg.MaterializeResult(metadata=info)

    return serving_snapshot
