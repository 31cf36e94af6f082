"""The one Dagster ``Definitions`` of campus-dw.

Loaded lazily (``@dg.definitions``) so that importing this module reads no configuration
and touches no file: ``dagster dev -m orchestration.definitions`` or
``campus-dw serve`` loads it; ``campus-dw run`` executes its jobs in process.
"""

import dagster as dg

from orchestration.assets.extract import SYSTEMS, extract_assets, freshness_checks
from orchestration.assets.publish import build_publish_asset
from orchestration.assets.quality import build_contract_checks, build_data_docs_asset, build_mart_checks
from orchestration.assets.transform import build_dbt_assets, dbt_resource
from orchestration.resources import CampusSettings

JOB_MODES = {"full_refresh": "full", "incremental_refresh": "incremental"}


def extract_run_config(mode: str, systems: list[str] | None = None) -> dict:
    """Run config giving every extract op the mode (pure helper, unit-tested)."""
    if mode not in ("full", "incremental"):
        raise ValueError(f"mode must be 'full' or 'incremental', not {mode!r}")
    chosen = systems or SYSTEMS
    return {"ops": {f"extract_{s}": {"config": {"mode": mode}} for s in chosen}}


def build_jobs(extracts: list[dg.AssetsDefinition], everything: dg.AssetSelection) -> list:
    by_system = dict(zip(SYSTEMS, extracts, strict=True))
    jobs = [
        dg.define_asset_job(
            "full_refresh",
            selection=everything,
            config=extract_run_config("full"),
            description="Full extraction of every source, dbt build, checks, publish.",
        ),
        dg.define_asset_job(
            "incremental_refresh",
            selection=everything,
            config=extract_run_config("incremental"),
            description="Incremental extraction, dbt build, checks, publish.",
        ),
    ]
    # one job per source system: its raw tables (and their contract checks), then only what depends
    # on them downstream (dbt models and tests, mart checks, publish); ``campus-dw run --system``
    for system in SYSTEMS:
        sel = dg.AssetSelection.assets(by_system[system]).downstream()
        jobs.append(
            dg.define_asset_job(
                f"{system}_only",
                selection=sel,
                config=extract_run_config("incremental", [system]),
                description=f"Only the {system} source, then what depends on it.",
            )
        )
    return jobs


def finance_inbox_sensor(job_name: str = "finance_only") -> dg.SensorDefinition:
    @dg.sensor(
        job_name=job_name,
        minimum_interval_seconds=60,
        description="Starts the finance job when a new or re-exported file lands in the inbox.",
    )
    def finance_inbox(context: dg.SensorEvaluationContext, campus: CampusSettings):
        import json

        settings = campus.load()
        inbox = settings.sources.finance.inbox
        seen = set(json.loads(context.cursor)) if context.cursor else set()
        current = set()
        if inbox.exists():
            for p in sorted(inbox.rglob("*")):
                if p.is_file() and not p.name.endswith(".part"):
                    current.add(f"{p.relative_to(inbox)}:{p.stat().st_size}")
        new = sorted(current - seen)
        if new:
            context.update_cursor(json.dumps(sorted(current)))
            yield dg.RunRequest(run_key="|".join(new)[:500], tags={"trigger": "finance_inbox"})
        else:
            yield dg.SkipReason("no new finance file")

    return finance_inbox


@dg.definitions
def defs() -> dg.Definitions:
    from orchestration.dbt_invoke import ensure_manifest
    from orchestration.settings import load_settings

    manifest = ensure_manifest(load_settings())
    extracts = extract_assets()
    dbt_models = build_dbt_assets(str(manifest))
    publish = build_publish_asset([dbt_models])
    everything = dg.AssetSelection.all()
    jobs = build_jobs(extracts, everything)
    job_by_name = {j.name: j for j in jobs}
    schedules = [
        dg.ScheduleDefinition(
            name="nightly_incremental",
            job=job_by_name["incremental_refresh"],
            cron_schedule="0 2 * * *",
            execution_timezone="Asia/Shanghai",
        ),
        dg.ScheduleDefinition(
            name="hourly_payment",
            job=job_by_name["payment_only"],
            cron_schedule="0 * * * *",
            execution_timezone="Asia/Shanghai",
        ),
    ]
    return dg.Definitions(
        assets=[*extracts, dbt_models, publish, build_data_docs_asset()],
        asset_checks=[*freshness_checks(), build_contract_checks(), build_mart_checks()],
        jobs=jobs,
        schedules=schedules,
        sensors=[finance_inbox_sensor()],
        resources={"campus": CampusSettings(), "dbt": dbt_resource()},
        executor=dg.in_process_executor,
    )
