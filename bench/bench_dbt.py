"""dbt benchmark (issue 4): dbt's total vs the same compiled SQL run directly in DuckDB.

For one scale, in one run, every measured build starting from a copy of the same raw-only warehouse:

1. raw layer: the demo college (generated, or reused with ``--college``) landed by
   ``extractors.run.extract_all`` (academic, hr, finance, and the payment bills through the real
   ``PaymentServer``); the warehouse file is kept as the raw-only baseline.
2. ``dbt parse`` (warm-up, so that every timed command reads the same partial-parse state; every
   dbt command sees the same warehouse path, since the rendered profile is part of dbt's
   partial-parse key).
3. ``dbt build`` (seeds + models + unit/data tests) on a copy of raw-only: the full build.
4. ``dbt seed`` then ``dbt run`` (models only) on another copy; the seeded warehouse is kept.
5. direct: on a copy of the seeded warehouse, python duckdb (the project's connection settings,
   DuckDB's default threads like dbt-duckdb's profile) executes the exact statements of step 4 from
   ``<target>/run/campus_dw/models/**`` in the manifest's topological order, each followed by the
   rename dbt's materialisation does on a fresh warehouse (``<name>__dbt_tmp`` -> ``<name>``),
   after creating the schemas.  Row counts of every model are then compared with dbt's warehouse.

Every dbt command is a child process (``dbt`` CLI of this venv) timed from start to exit; dbt's own
``elapsed_time`` from run_results.json is reported too.  Ratio = dbt run wall / direct wall.

    uv run python bench/bench_dbt.py --scale medium                # generates into /tmp/bench_dbt
    uv run python bench/bench_dbt.py --scale large --college /tmp/bench_dbt/college_large
    uv run python bench/bench_dbt.py --scale medium --repeats 2    # dbt run / direct alternated twice
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TOKEN_ENV = "CAMPUS_DW_BENCH_DBT_PAYMENT_TOKEN"
TOKEN = "t"
DBT_PROJECT = ROOT / "dbt_project"
DBT = Path(sys.executable).parent / "dbt"


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def college_complete(path: Path, scale: str) -> bool:
    meta = path / "college.json"
    if not meta.is_file():
        return False
    info = json.loads(meta.read_text())
    return info.get("scale") == scale and all(
        (path / f).exists() for f in ("academic.sqlite", "hr.sqlite", "payment/bills.jsonl", "finance_inbox")
    )


def write_config(home: Path, college: Path, payment_url: str, institution_code: str) -> Path:
    cfg = home / "campus-dw.yml"
    cfg.write_text(
        f"""home: {home}
institution: {{code: "{institution_code}"}}
sources:
  academic: {{type: sqlite, path: {college / "academic.sqlite"}}}
  hr: {{type: sqlite, path: {college / "hr.sqlite"}}}
  finance: {{inbox: {college / "finance_inbox"}}}
  payment: {{base_url: "{payment_url}", token_env: {TOKEN_ENV}, page_size: 1000}}
""",
        encoding="utf-8",
    )
    return cfg


def copy_warehouse(src: Path, dest_dir: Path) -> Path:
    """A copy named warehouse.duckdb (the catalog name dbt compiled into the SQL is 'warehouse')."""
    if dest_dir.exists():
        shutil.rmtree(dest_dir)
    dest_dir.mkdir(parents=True)
    dest = dest_dir / "warehouse.duckdb"
    shutil.copyfile(src, dest)
    return dest


# ----------------------------------------------------------------------------------- raw layer
def build_raw(college: Path, work: Path) -> tuple[Path, dict]:
    from demo_college.payment_server import PaymentServer
    from extractors.run import extract_all
    from orchestration.settings import load_settings

    info = json.loads((college / "college.json").read_text())
    code = info.get("institution_code", "4100000001")
    home = work / "home"
    if home.exists():
        shutil.rmtree(home)
    home.mkdir(parents=True)
    os.environ[TOKEN_ENV] = TOKEN
    server = PaymentServer(college / "payment" / "bills.jsonl", port=0, token=TOKEN)
    server.start()
    try:
        settings = load_settings(write_config(home, college, server.url, code))
        raw = work / "raw" / "warehouse.duckdb"
        if raw.parent.exists():
            shutil.rmtree(raw.parent)
        t0 = time.monotonic()
        report = extract_all(
            raw, settings, mode="full", run_id="bench", systems=["academic", "hr", "finance", "payment"]
        )
        secs = time.monotonic() - t0
    finally:
        server.stop()
    if not report.ok:
        raise SystemExit("extraction failed:\n  " + "\n  ".join(report.errors()))
    print(f"  {report.summary()}  ({secs:.1f} s)", flush=True)
    return raw, {"extract_s": round(secs, 1), "settings": settings, "institution_code": code}


def biggest_tables(warehouse: Path, n: int = 6) -> list[tuple[str, int]]:
    from extractors.duckdb_setup import connect

    con = connect(warehouse, read_only=True)
    try:
        rels = con.execute(
            "select table_schema, table_name from information_schema.tables where table_type = 'BASE TABLE'"
        ).fetchall()
        counts = [
            (f"{s}.{t}", con.execute(f'select count(*) from "{s}"."{t}"').fetchone()[0]) for s, t in rels
        ]
    finally:
        con.close()
    return sorted(counts, key=lambda x: -x[1])[:n]


# ------------------------------------------------------------------------------------------ dbt
def dbt_env(warehouse: Path, target: Path, logs: Path) -> dict[str, str]:
    from extractors.duckdb_setup import ensure_extensions

    env = dict(os.environ)
    env.update(
        {
            "CAMPUS_DW_WAREHOUSE": str(warehouse),
            "CAMPUS_DW_DUCKDB_EXT_DIR": str(ensure_extensions()),
            "DBT_TARGET_PATH": str(target),  # keep the shared dbt_project/target untouched
            "DBT_LOG_PATH": str(logs),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
            "DO_NOT_TRACK": "1",
        }
    )
    return env


def run_dbt(command: str, settings, warehouse: Path, target: Path, logs: Path) -> dict:
    from orchestration.dbt_invoke import dbt_args

    args = [
        str(DBT),
        *dbt_args(settings, command, "--project-dir", str(DBT_PROJECT), "--profiles-dir", str(DBT_PROJECT)),
    ]
    t0 = time.monotonic()
    proc = subprocess.run(
        args, cwd=ROOT, env=dbt_env(warehouse, target, logs), capture_output=True, text=True
    )
    wall = time.monotonic() - t0
    if proc.returncode != 0:
        print(proc.stdout[-4000:], proc.stderr[-2000:], file=sys.stderr)
        raise SystemExit(f"dbt {command} failed (rc {proc.returncode})")
    out: dict = {"command": command, "wall_s": round(wall, 2)}
    rr = target / "run_results.json"
    if command != "parse" and rr.exists():
        res = json.loads(rr.read_text())
        out["dbt_elapsed_s"] = round(res.get("elapsed_time", 0.0), 2)
        by_type: dict[str, int] = {}
        for r in res["results"]:
            kind = r["unique_id"].split(".")[0]
            by_type[kind] = by_type.get(kind, 0) + 1
        out["nodes"] = by_type
        out["node_s"] = {r["unique_id"]: r["execution_time"] for r in res["results"]}
        out["statuses"] = sorted({r["status"] for r in res["results"]})
    m = re.search(r"Done\. (PASS=\d+ WARN=\d+ ERROR=\d+ SKIP=\d+[^\n]*)", proc.stdout)
    out["summary"] = m.group(1) if m else ""
    return out


# --------------------------------------------------------------------------------------- direct
def topo_models(manifest: dict) -> list[dict]:
    nodes = {k: v for k, v in manifest["nodes"].items() if v["resource_type"] == "model"}
    order: list[str] = []
    state: dict[str, int] = {}

    def visit(uid: str) -> None:
        if state.get(uid) == 2:
            return
        if state.get(uid) == 1:
            raise RuntimeError(f"cycle at {uid}")
        state[uid] = 1
        for dep in sorted(nodes[uid]["depends_on"]["nodes"]):
            if dep in nodes:
                visit(dep)
        state[uid] = 2
        order.append(uid)

    for uid in sorted(nodes):
        visit(uid)
    return [nodes[u] for u in order]


def run_direct(warehouse: Path, target: Path) -> dict:
    """Execute dbt's compiled materialisation statements directly, in topological order."""
    from extractors.duckdb_setup import connect

    manifest = json.loads((target / "manifest.json").read_text())
    models = [m for m in topo_models(manifest) if m["config"]["materialized"] != "ephemeral"]
    plan = []
    for m in models:
        path = target / "run" / m["package_name"] / m["original_file_path"]
        kind = "view" if m["config"]["materialized"] == "view" else "table"
        plan.append(
            (
                m["unique_id"],
                m["database"],
                m["schema"],
                m["alias"] or m["name"],
                kind,
                path.read_text(encoding="utf-8"),
            )
        )
    schemas = sorted({(db, sch) for _, db, sch, *_ in plan})
    per_model: dict[str, float] = {}
    t0 = time.monotonic()
    con = connect(warehouse)
    try:
        for db, sch in schemas:
            con.execute(f'create schema if not exists "{db}"."{sch}"')
        for uid, db, sch, name, kind, sql in plan:
            s = time.monotonic()
            con.execute(sql)
            con.execute(f'alter {kind} "{db}"."{sch}"."{name}__dbt_tmp" rename to "{name}"')
            per_model[uid] = time.monotonic() - s
        con.execute("checkpoint")
    finally:
        con.close()
    wall = time.monotonic() - t0
    return {"wall_s": round(wall, 2), "models": len(plan), "node_s": per_model}


def model_counts(warehouse: Path, target: Path) -> dict[str, int]:
    from extractors.duckdb_setup import connect

    manifest = json.loads((target / "manifest.json").read_text())
    con = connect(warehouse, read_only=True)
    try:
        out = {}
        for m in manifest["nodes"].values():
            if m["resource_type"] == "model" and m["config"]["materialized"] != "ephemeral":
                rel = f'"{m["schema"]}"."{m["alias"] or m["name"]}"'
                out[m["unique_id"]] = con.execute(f"select count(*) from {rel}").fetchone()[0]
        return out
    finally:
        con.close()


def top(node_s: dict[str, float], n: int = 5) -> str:
    return ", ".join(
        f"{k.split('.')[-1]} {v:.1f}s" for k, v in sorted(node_s.items(), key=lambda x: -x[1])[:n]
    )


# ----------------------------------------------------------------------------------------- main
def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", choices=["small", "medium", "large"], default="medium")
    ap.add_argument("--college", type=Path, help="an existing generated college of that scale (reused)")
    ap.add_argument("--work", type=Path, default=Path("/tmp/bench_dbt"))
    ap.add_argument("--repeats", type=int, default=1, help="dbt run / direct pairs (alternated)")
    ap.add_argument("--skip-build", action="store_true", help="no full dbt build (only seed, run, direct)")
    ap.add_argument("--json", type=Path, help="write the figures here (default WORK/results-SCALE.json)")
    a = ap.parse_args(argv)

    work = a.work / a.scale
    work.mkdir(parents=True, exist_ok=True)
    started = dt.datetime.now().astimezone()
    print(f"bench_dbt {a.scale} at {started:%Y-%m-%d %H:%M %Z}; {uptime()}", flush=True)

    college = a.college or a.work / f"college_{a.scale}"
    if not college_complete(college, a.scale):
        from demo_college.generate import generate_college

        print(f"generating the {a.scale} college into {college}", flush=True)
        t0 = time.monotonic()
        generate_college(a.scale, college)
        print(f"  generated in {time.monotonic() - t0:.1f} s", flush=True)
    print(f"1. raw layer from {college}", flush=True)
    raw, meta = build_raw(college, work)
    settings = meta["settings"]
    big = biggest_tables(raw)
    print("  biggest raw tables: " + ", ".join(f"{t} {n:,}" for t, n in big), flush=True)

    target, logs = work / "dbt-target", work / "dbt-logs"
    results: dict = {
        "scale": a.scale,
        "date": started.isoformat(timespec="seconds"),
        "college": str(college),
        "institution_code": meta["institution_code"],
        "extract_s": meta["extract_s"],
        "biggest_raw_tables": big,
        "uptime_start": uptime(),
        "dbt_threads": os.environ.get("CAMPUS_DW_DBT_THREADS", "4"),
        "nproc": os.cpu_count(),
    }

    print("2. dbt parse (warm-up)", flush=True)
    if target.exists():
        shutil.rmtree(target)
    # dbt always sees the same warehouse path: the rendered profile (path included) is part of dbt's
    # partial-parse key, so a new path per command would force a full re-parse in every command.
    w = copy_warehouse(raw, work / "w-dbt")
    results["parse"] = run_dbt("parse", settings, w, target, logs)
    print(f"  {results['parse']['wall_s']} s", flush=True)

    b: dict = {"wall_s": None, "dbt_elapsed_s": None}
    if not a.skip_build:
        print("3. dbt build (full build: seeds, models, tests) on raw-only", flush=True)
        w = copy_warehouse(raw, work / "w-dbt")
        print(f"  load before: {load_average()}", flush=True)
        b = run_dbt("build", settings, w, target, logs)
        print(
            f"  dbt build {b['wall_s']} s (dbt elapsed {b['dbt_elapsed_s']} s) {b['summary']} nodes {b['nodes']}",
            flush=True,
        )
        print(f"  slowest: {top(b['node_s'])}", flush=True)

    print("4. dbt seed, then dbt run (models only) on raw-only", flush=True)
    w_run = copy_warehouse(raw, work / "w-dbt")
    s = run_dbt("seed", settings, w_run, target, logs)
    results["seed"] = s
    print(f"  dbt seed {s['wall_s']} s (dbt elapsed {s['dbt_elapsed_s']} s)", flush=True)
    seeded = work / "seeded.duckdb"
    shutil.copyfile(w_run, seeded)
    runs, directs = [], []
    counts_dbt = counts_direct = None
    for i in range(a.repeats):
        if i:
            w_run = copy_warehouse(seeded, work / "w-dbt")
        print(f"  [{i + 1}/{a.repeats}] dbt run; load before: {load_average()}", flush=True)
        r = run_dbt("run", settings, w_run, target, logs)
        runs.append(r)
        print(f"    dbt run {r['wall_s']} s (dbt elapsed {r['dbt_elapsed_s']} s) {r['summary']}", flush=True)
        print(f"    slowest: {top(r['node_s'])}", flush=True)
        if counts_dbt is None:
            counts_dbt = model_counts(w_run, target)
        w_direct = copy_warehouse(seeded, work / "w-direct")
        print(f"  [{i + 1}/{a.repeats}] direct DuckDB; load before: {load_average()}", flush=True)
        d = run_direct(w_direct, target)
        directs.append(d)
        print(f"    direct {d['wall_s']} s ({d['models']} models)", flush=True)
        print(f"    slowest: {top(d['node_s'])}", flush=True)
        if counts_direct is None:
            counts_direct = model_counts(w_direct, target)
    diff = {
        k: (counts_dbt[k], counts_direct.get(k)) for k in counts_dbt if counts_dbt[k] != counts_direct.get(k)
    }
    print(
        f"  row counts of {len(counts_dbt)} models, dbt vs direct: {diff if diff else 'identical'}",
        flush=True,
    )
    run_s = min(r["wall_s"] for r in runs)
    direct_s = min(d["wall_s"] for d in directs)
    results.update(
        {
            "runs": [{k: v for k, v in r.items() if k != "node_s"} for r in runs],
            "directs": [{k: v for k, v in d.items() if k != "node_s"} for d in directs],
            "dbt_run_s": run_s,
            "direct_s": direct_s,
            "ratio": round(run_s / direct_s, 2),
            "ratio_dbt_elapsed": round(min(r["dbt_elapsed_s"] for r in runs) / direct_s, 2),
            "row_counts_identical": not diff,
            "uptime_end": uptime(),
            "build_s": b["wall_s"],
            "build_dbt_elapsed_s": b["dbt_elapsed_s"],
        }
    )
    results["build"] = {k: v for k, v in b.items() if k != "node_s"}
    for key in ("seed", "parse"):
        results[key].pop("node_s", None)
    out = a.json or a.work / f"results-{a.scale}.json"
    out.write_text(json.dumps(results, indent=2, default=str))

    print(f"\n== {a.scale} ==", flush=True)
    if b["wall_s"] is not None:
        print(
            f"full dbt build (seeds+models+tests): {b['wall_s']} s (dbt elapsed {b['dbt_elapsed_s']} s)"
            + (
                "  [target < 60 s: " + ("met" if b["wall_s"] < 60 else "NOT met") + "]"
                if a.scale == "medium"
                else ""
            )
        )
    print(
        f"dbt seed: {s['wall_s']} s;  dbt run (models): {run_s} s (dbt elapsed "
        f"{min(r['dbt_elapsed_s'] for r in runs)} s);  direct DuckDB: {direct_s} s"
    )
    print(
        f"ratio dbt run / direct: {results['ratio']}x (dbt elapsed / direct: {results['ratio_dbt_elapsed']}x)"
        + (
            "  [target <= 1.5x: " + ("met" if results["ratio"] <= 1.5 else "NOT met") + "]"
            if a.scale == "large"
            else ""
        )
    )
    print(f"{uptime()}\nfigures: {out}")
    for d in ("w-dbt", "w-direct"):
        shutil.rmtree(work / d, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
