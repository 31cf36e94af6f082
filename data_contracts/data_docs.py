"""Great Expectations Data Docs (static HTML) for each run, kept next to the stewards' quality snapshot.

Two halves, so that rendering HTML stays off the critical path of a run:

1. while checking (``runner.run_checks`` / ``run_mart_checks`` with ``gx_results_dir``): every GX
   validation result of the step is serialised by GX's own validation-results store to
   ``<home>/quality/gx_results/<run>/<suite>.json`` (personal values masked first, see below);
2. after the publish (the Dagster asset ``quality/data_docs``, or :func:`build_run_docs`): a fresh
   ephemeral GX context loads those results into its validation-results store, gets a Data Docs
   site (``SiteBuilder`` + ``TupleFilesystemStoreBackend`` at ``<home>/quality/data_docs/<run>/``,
   added with ``add_data_docs_site``) and ``build_data_docs`` renders it: ``index.html`` lists the
   run's validations, one page per table with every expectation and its unexpected values.

The site is one for all stewards, so the unexpected values GX shows for a personal column (a
phone failing its pattern, a name) are masked in the stored results (``masking.mask_value``), as
everywhere except the owning steward's own view. ``LATEST.json`` in the docs folder names the
newest site; :func:`docs_index` finds a run's ``index.html`` (the Streamlit quality page links it).
Old runs are pruned with the quality snapshots (:func:`prune`).
"""

from __future__ import annotations

import contextlib
import json
import re
import shutil
import time
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

from data_contracts.masking import mask_value

RESULTS_SUBDIR = "gx_results"
DOCS_SUBDIR = "data_docs"
SITE_NAME = "campus_dw_run"
LATEST = "LATEST.json"
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


def run_folder_name(run_id: str) -> str:
    stem = _UNSAFE.sub("_", run_id).strip("_.")
    if not stem:
        raise ValueError(f"run_id {run_id!r} gives no usable folder name")
    return stem[:120]


def results_dir(quality_dir: Path, run_id: str) -> Path:
    return Path(quality_dir) / RESULTS_SUBDIR / run_folder_name(run_id)


def docs_dir(quality_dir: Path, run_id: str) -> Path:
    return Path(quality_dir) / DOCS_SUBDIR / run_folder_name(run_id)


def docs_index(quality_dir: Path, run_id: str | None = None) -> Path | None:
    """``index.html`` of the run's Data Docs (default: the newest built), or None if not built."""
    if run_id is None:
        latest = Path(quality_dir) / DOCS_SUBDIR / LATEST
        try:
            run_id = json.loads(latest.read_text(encoding="utf-8"))["run_id"]
        except (OSError, ValueError, KeyError):
            return None
    index = docs_dir(quality_dir, run_id) / "index.html"
    return index if index.is_file() else None


# ------------------------------------------------------------------------------ personal values
def personal_kind_by_rule() -> dict[str, str]:
    """rule id -> personal kind of the column it reports (only rules on a personal column)."""
    from data_contracts.loader import all_rules, load_contracts, load_mart_contracts

    contracts = {**load_contracts(), **load_mart_contracts()}
    out = {}
    for r in [*all_rules(), *(r for c in load_mart_contracts().values() for r in c.rules)]:
        c = contracts.get(r.table_key)
        if c is not None and r.column in c.personal_kinds:
            out[r.id] = c.personal_kinds[r.column]
    return out


def mask_result_dict(result: dict[str, Any], kinds: dict[str, str]) -> dict[str, Any]:
    """A serialised suite validation result with the unexpected values of personal columns masked."""
    for er in result.get("results") or []:
        cfg = er.get("expectation_config") or {}
        kind = kinds.get((cfg.get("meta") or {}).get("rule_id", ""))
        res = er.get("result") or {}
        if kind is None or not res:
            continue
        for field in ("partial_unexpected_list", "unexpected_list"):
            if isinstance(res.get(field), list):
                res[field] = [None if v is None else mask_value(v, kind) for v in res[field]]
        if isinstance(res.get("partial_unexpected_counts"), list):
            for item in res["partial_unexpected_counts"]:
                if isinstance(item, dict) and item.get("value") is not None:
                    item["value"] = mask_value(item["value"], kind)
        for field in ("partial_unexpected_index_list", "unexpected_index_list", "unexpected_index_query"):
            res.pop(field, None)  # row positions in a DataFrame mean nothing to a steward
    return result


# ------------------------------------------------------------------------ 1. save (while checking)
def save_results(ctx: Any, out_dir: Path, suite_names: Iterable[str] | None = None) -> int:
    """Serialise the validation results in ``ctx``'s store (those of ``suite_names`` if given) to
    ``out_dir/<suite>.json``, personal values masked. Returns the number of files written."""
    store = ctx.validation_results_store
    wanted = set(suite_names) if suite_names is not None else None
    kinds = personal_kind_by_rule()
    out_dir.mkdir(parents=True, exist_ok=True)
    n = 0
    for key in store.list_keys():
        value = store.get(key)
        suite = value.suite_name
        if wanted is not None and suite not in wanted:
            continue
        data = mask_result_dict(json.loads(store.serialize(value)), kinds)
        doc = {"key": list(key.to_tuple()), "result": data}
        tmp = out_dir / f".{suite}.json.tmp"
        tmp.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
        tmp.replace(out_dir / f"{suite}.json")
        n += 1
    return n


# --------------------------------------------------------------------------- 2. build (after publish)
def build_site(results: Path, site: Path) -> Path:
    """Render the Data Docs site for the results saved in ``results`` into ``site``; returns index.html."""
    from data_contracts.gx_suites import import_gx

    gx = import_gx()
    from great_expectations.data_context.types.resource_identifiers import ValidationResultIdentifier

    files = sorted(results.glob("*.json"))
    if not files:
        raise FileNotFoundError(f"no saved validation results in {results}")
    ctx = gx.get_context(mode="ephemeral")
    store = ctx.validation_results_store
    for f in files:
        doc = json.loads(f.read_text(encoding="utf-8"))
        key = ValidationResultIdentifier.from_tuple(tuple(doc["key"]))
        store.set(key, store.deserialize(doc["result"]))
    tmp = site.with_name(f".{site.name}.building")
    shutil.rmtree(tmp, ignore_errors=True)
    ctx.add_data_docs_site(
        site_name=SITE_NAME,
        site_config={
            "class_name": "SiteBuilder",
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
            "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(tmp)},
        },
    )
    ctx.build_data_docs(site_names=[SITE_NAME])
    if not (tmp / "index.html").is_file():
        raise RuntimeError(f"GX built no index.html in {tmp}")
    shutil.rmtree(site, ignore_errors=True)
    tmp.replace(site)
    return site / "index.html"


def build_run_docs(quality_dir: Path, run_id: str) -> dict[str, Any]:
    """Build the run's site and record it in ``LATEST.json``; returns what it did (for metadata)."""
    t0 = time.perf_counter()
    index = build_site(results_dir(quality_dir, run_id), docs_dir(quality_dir, run_id))
    pages = sum(1 for _ in index.parent.rglob("*.html"))
    info = {
        "run_id": run_id,
        "index": str(index),
        "built_at": datetime.now().astimezone().isoformat(timespec="seconds"),
        "pages": pages,
        "seconds": round(time.perf_counter() - t0, 2),
    }
    latest = Path(quality_dir) / DOCS_SUBDIR / LATEST
    tmp = latest.with_name(LATEST + ".tmp")
    tmp.write_text(json.dumps(info, ensure_ascii=False, indent=2), encoding="utf-8")
    tmp.replace(latest)
    return info


def prune(quality_dir: Path, keep_run_ids: Iterable[str], keep_newest: int = 0) -> list[str]:
    """Delete the docs and saved results of every run not in ``keep_run_ids`` and not among the
    ``keep_newest`` most recently built sites (runs a blocking failure stopped have docs but no
    snapshot); returns the folder names removed."""
    keep = {run_folder_name(r) for r in keep_run_ids}
    docs = Path(quality_dir) / DOCS_SUBDIR
    if keep_newest > 0 and docs.is_dir():
        sites = sorted(
            (d for d in docs.iterdir() if d.is_dir() and not d.name.startswith(".")),
            key=lambda d: d.stat().st_mtime,
            reverse=True,
        )
        keep |= {d.name for d in sites[:keep_newest]}
    removed = []
    for sub in (DOCS_SUBDIR, RESULTS_SUBDIR):
        base = Path(quality_dir) / sub
        if not base.is_dir():
            continue
        for d in base.iterdir():
            if d.is_dir() and d.name not in keep:
                with contextlib.suppress(OSError):
                    shutil.rmtree(d)
                removed.append(f"{sub}/{d.name}")
    return removed
