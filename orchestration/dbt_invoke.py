"""How the pipeline calls dbt: the environment, the vars and the project paths, in one place."""

from __future__ import annotations

import json
import os
from pathlib import Path

from extractors.duckdb_setup import ensure_extensions
from orchestration.settings import PROJECT_ROOT, Settings

DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
MANIFEST_PATH = DBT_PROJECT_DIR / "target" / "manifest.json"


def dbt_env(settings: Settings) -> dict[str, str]:
    """Environment variables the committed profiles.yml reads, and telemetry off."""
    settings.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    return {
        "CAMPUS_DW_WAREHOUSE": str(settings.warehouse_path),
        "CAMPUS_DW_DUCKDB_EXT_DIR": str(ensure_extensions()),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "DO_NOT_TRACK": "1",
        "DBT_PROFILES_DIR": str(DBT_PROJECT_DIR),
        "DBT_PROJECT_DIR": str(DBT_PROJECT_DIR),
    }


def dbt_vars(settings: Settings) -> dict[str, object]:
    """The configuration dbt needs, under the var names dbt_project.yml declares (same defaults)."""
    t = settings.thresholds
    return {
        "institution_code": settings.institution.code,
        "academic_risk_failed_credits": t.academic_risk_failed_credits,
        "running_condition_lines": {
            "student_teacher_ratio": {
                "direction": "max",
                "pass_line": t.student_teacher_ratio.pass_max,
                "limiting_line": t.student_teacher_ratio.limit_max,
            },
            "pct_teachers_postgrad_degree": {
                "direction": "min",
                "pass_line": t.pct_teachers_postgrad_degree.pass_min,
                "limiting_line": t.pct_teachers_postgrad_degree.limit_min,
            },
        },
    }


def apply_env(settings: Settings) -> None:
    os.environ.update(dbt_env(settings))


def dbt_args(settings: Settings, command: str, *extra: str) -> list[str]:
    return [command, "--vars", json.dumps(dbt_vars(settings)), *extra]


def _newest_source_mtime() -> float:
    newest = 0.0
    for sub in ("models", "seeds", "macros", "tests", "snapshots"):
        root = DBT_PROJECT_DIR / sub
        if root.exists():
            for p in root.rglob("*"):
                if p.is_file():
                    newest = max(newest, p.stat().st_mtime)
    for name in ("dbt_project.yml", "profiles.yml"):
        p = DBT_PROJECT_DIR / name
        if p.exists():
            newest = max(newest, p.stat().st_mtime)
    return newest


def ensure_manifest(settings: Settings) -> Path:
    """Run ``dbt parse`` when the manifest is missing or older than the project files."""
    if MANIFEST_PATH.exists() and MANIFEST_PATH.stat().st_mtime >= _newest_source_mtime():
        return MANIFEST_PATH
    from dbt.cli.main import dbtRunner

    apply_env(settings)
    res = dbtRunner().invoke(
        dbt_args(
            settings,
            "parse",
            "--project-dir",
            str(DBT_PROJECT_DIR),
            "--profiles-dir",
            str(DBT_PROJECT_DIR),
            "--quiet",
        )
    )
    if not res.success:
        raise RuntimeError(f"dbt parse failed: {res.exception}")
    return MANIFEST_PATH
