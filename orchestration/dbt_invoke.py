"""How the pipeline calls dbt: the environment, the vars and the project paths, in one place."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
from pathlib import Path

from extractors.duckdb_setup import ensure_extensions
from orchestration.settings import PROJECT_ROOT, Settings

DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
MANIFEST_PATH = DBT_PROJECT_DIR / "target" / "manifest.json"
PARTIAL_PARSE = "partial_parse.msgpack"
# the newest dbt build folders kept under the home (run_results, compiled SQL, dbt.log)
KEEP_BUILD_FOLDERS = 5

# What the pipeline's ``dbt build`` runs: models, seeds and data tests.  dbt's unit tests check the
# models' SQL against fixed inputs, not the college's data, so they run in CI (tests/dbt) and not in
# every run on the server (dbt's own advice; 22 unit tests were 7-10 s of every run here).
BUILD_ARGS = ("build", "--exclude-resource-type", "unit_test")


def dbt_env(settings: Settings) -> dict[str, str]:
    """Environment variables the committed profiles.yml reads, and telemetry off."""
    settings.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    settings.dbt_target_dir.mkdir(parents=True, exist_ok=True)
    return {
        "CAMPUS_DW_WAREHOUSE": str(settings.warehouse_path),
        "CAMPUS_DW_DUCKDB_EXT_DIR": str(ensure_extensions()),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "DO_NOT_TRACK": "1",
        "DBT_PROFILES_DIR": str(DBT_PROJECT_DIR),
        "DBT_PROJECT_DIR": str(DBT_PROJECT_DIR),
        # artifacts of this home's builds go to the home, not into the project (shared, maybe
        # read-only); Dagster makes one folder per build under it and starts each build from the
        # parse cache kept there (``keep_parse_cache``)
        "DBT_TARGET_PATH": str(settings.dbt_target_dir),
        "DBT_LOG_PATH": str(settings.dbt_target_dir),  # dbt.log of a parse or bare build
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


def _manifest_current() -> bool:
    return MANIFEST_PATH.exists() and MANIFEST_PATH.stat().st_mtime >= _newest_source_mtime()


def ensure_manifest(settings: Settings) -> Path:
    """Run ``dbt parse`` when the project's manifest is missing or older than the project files.

    One process parses at a time (a lock file next to the manifest): a run and ``campus-dw serve``
    started together on a fresh checkout would otherwise both write ``target/``."""
    if _manifest_current():
        return MANIFEST_PATH
    MANIFEST_PATH.parent.mkdir(parents=True, exist_ok=True)
    with open(MANIFEST_PATH.parent / ".parse.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _manifest_current():  # another process parsed while this one waited
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
                "--target-path",
                str(MANIFEST_PATH.parent),
                "--quiet",
            )
        )
        if not res.success:
            raise RuntimeError(f"dbt parse failed: {res.exception}")
    return MANIFEST_PATH


def keep_parse_cache(settings: Settings, build_target: Path) -> None:
    """After a build: its parse cache becomes the home's (the next build parses only what changed),
    and only the newest ``KEEP_BUILD_FOLDERS`` build folders stay.

    dbt can reuse a parse only for the same profile; the profile holds the warehouse path, so the
    cache is per home (a cache from another home is refused by dbt and it parses in full)."""
    root = settings.dbt_target_dir
    cache = build_target / PARTIAL_PARSE
    if cache.exists():
        tmp = root / f".{PARTIAL_PARSE}.{os.getpid()}"
        shutil.copyfile(cache, tmp)
        os.replace(tmp, root / PARTIAL_PARSE)
    builds = sorted(
        (p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")),
        key=lambda p: p.stat().st_mtime,
        reverse=True,
    )
    for old in builds[KEEP_BUILD_FOLDERS:]:
        if old.resolve() != build_target.resolve():
            with contextlib.suppress(OSError):
                shutil.rmtree(old)
