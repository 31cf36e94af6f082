"""Transform assets: every dbt model through one ``@dbt_assets``; dbt tests become asset checks.

The translator connects dbt sources (schema ``raw``) to the extract assets so that one
lineage graph runs from each source table to each indicator.
"""

import sys
from collections.abc import Iterator, Mapping
from functools import cached_property
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, dbt_assets

from orchestration.dbt_invoke import BUILD_ARGS, DBT_PROJECT_DIR, dbt_args
from orchestration.resources import CampusSettings


class CampusDbtTranslator(DagsterDbtTranslator):
    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            identifier = dbt_resource_props.get("identifier") or dbt_resource_props["name"]
            return dg.AssetKey(["raw", identifier])
        schema = dbt_resource_props.get("schema") or "main"
        return dg.AssetKey([schema, dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "source":
            return "raw"
        return dbt_resource_props.get("schema") or "transform"


# every dbt data test is an asset check: the raw tables' source tests too (else dagster-dbt logs them
# as observations); singular tests reading several models name theirs in meta.dagster.ref
TRANSLATOR = CampusDbtTranslator(
    settings=DagsterDbtTranslatorSettings(enable_asset_checks=True, enable_source_tests_as_checks=True)
)


def build_dbt_assets(manifest_path: str) -> dg.AssetsDefinition:
    @dbt_assets(
        manifest=manifest_path,
        dagster_dbt_translator=TRANSLATOR,
        name="dbt_models",
        op_tags={"warehouse": "writer"},
        pool="warehouse",
    )
    def dbt_models(
        context: dg.AssetExecutionContext, dbt: DbtCliResource, campus: CampusSettings
    ) -> Iterator[Any]:
        from orchestration.dbt_invoke import apply_env, keep_parse_cache
        from orchestration.pipeline import step_logger

        settings = campus.load()
        apply_env(settings)  # before dbt.cli: it reads DBT_TARGET_PATH (the home's) from here
        log = step_logger(context)
        log("dbt build (models, seeds, data tests)")
        built = checked = 0
        invocation = dbt.cli(dbt_args(settings, *BUILD_ARGS), context=context)
        try:
            for event in invocation.stream():
                if isinstance(event, dg.Output | dg.AssetMaterialization | dg.MaterializeResult):
                    built += 1
                    if built % 10 == 0:
                        log(f"  dbt: {built} models built")
                elif isinstance(event, dg.AssetCheckResult):
                    checked += 1
                yield event
        finally:
            keep_parse_cache(settings, invocation.target_path)
        log(f"  dbt: {built} models built, {checked} tests reported as asset checks")

    return dbt_models


class CampusDbtCliResource(DbtCliResource):
    """dagster-dbt's resource, told dbt's version instead of asking ``dbt --version`` in a
    subprocess before every build (4 s here: the subprocess imports all of dbt).  Only for the dbt
    next to this interpreter, whose version is the installed dbt-core's."""

    @cached_property
    def _cli_version(self):
        from dbt.version import __version__
        from packaging import version

        if Path(self.dbt_executable).resolve() != (Path(sys.executable).parent / "dbt").resolve():
            return super()._cli_version
        return version.parse(__version__)


def dbt_resource() -> DbtCliResource:
    # the dbt next to this interpreter: works without `uv run` (cron, systemd) where PATH lacks the venv
    dbt_exe = Path(sys.executable).parent / "dbt"
    return CampusDbtCliResource(
        project_dir=str(DBT_PROJECT_DIR),
        profiles_dir=str(DBT_PROJECT_DIR),
        dbt_executable=str(dbt_exe) if dbt_exe.exists() else "dbt",
    )
