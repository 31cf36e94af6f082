"""Pipeline benchmark: orchestration overhead, validation share, demo time (issues 5 and 6).

Measured in the same run, on the same college, each in a fresh home:

(a) ``campus-dw --config CFG run --full``: the Dagster job, executed in process by the CLI, in a
    child process.  Wall time from process start to exit; phases from the stderr progress lines
    (their arrival times) and the Dagster step timings from the run's own event log.
(b) the same steps run bare in one child process, no Dagster: ``extractors.run.extract_all``
    (full), ``data_contracts.runner.run_checks``, ``dbt build`` through dbtRunner
    (``orchestration.pipeline.dbt_build_step``, target path in the home), and
    ``orchestration.publish.publish_serving`` + ``publish_quality``.

Overhead ratio = wall (a) / wall (b) (target <= 1.5x, issue 5).  Validation share = time of the
data-contract step / wall of the run (target <= 20%, issue 6; dbt's own tests run inside
``dbt build`` and are reported separately where dbt's run results allow).  Peak RSS is the max RSS
of each child process tree (``os.wait4``: the child and the descendants it waited for).

Before (a), one throwaway process imports the packages both variants use (``warm_up``; ``--cold``
skips it): else the first run after a machine starts, always (a), also pays for reading them from
disk, which is no part of orchestration.

``--demo`` also times ``campus-dw demo --no-serve`` from a fresh clone: ``git clone`` of this
repository (committed state only), ``make install``, then the demo (generates the medium college
into the clone's ``.campus-dw``, runs the pipeline, prints the indicators).

    uv run python bench/bench_pipeline.py                       # reuses .campus-dw/demo/medium or generates it
    uv run python bench/bench_pipeline.py --college /tmp/medium --demo
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TOKEN_ENV = "CAMPUS_DW_BENCH_PAYMENT_TOKEN"
TOKEN = "bench-token"


# --------------------------------------------------------------------------------- utilities
def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3]) if Path("/proc/loadavg").exists() else "?"


def write_config(home: Path, college: Path, payment_url: str) -> Path:
    cfg = home / "campus-dw.yml"
    cfg.write_text(
        f"""home: {home}
sources:
  academic: {{type: sqlite, path: {college / "academic.sqlite"}}}
  hr: {{type: sqlite, path: {college / "hr.sqlite"}}}
  finance: {{inbox: {college / "finance_inbox"}}}
  payment: {{base_url: "{payment_url}", token_env: {TOKEN_ENV}, page_size: 1000}}
""",
        encoding="utf-8",
    )
    return cfg


def college_complete(path: Path) -> bool:
    meta = path / "college.json"
    if not meta.is_file():
        return False
    info = json.loads(meta.read_text())
    return info.get("scale") == "medium" and all(
        (path / f).exists() for f in ("academic.sqlite", "hr.sqlite", "payment/bills.jsonl", "finance_inbox")
    )


def run_child(cmd: list[str], *, cwd: Path, env: dict[str, str] | None = None, echo: bool = True) -> dict:
    """Run a child to completion: wall time, exit code, peak RSS of its tree, stderr lines with arrival times."""
    t0 = time.monotonic()
    lines: list[tuple[float, str]] = []
    with tempfile.TemporaryFile("w+") as out:
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=out, stderr=subprocess.PIPE, text=True)
        assert proc.stderr is not None
        for line in proc.stderr:
            t = time.monotonic() - t0
            lines.append((t, line.rstrip("\n")))
            if echo and line.startswith(("[campus-dw", "[bare")):
                print(f"  {t:7.1f}s {line.rstrip()}", flush=True)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        wall = time.monotonic() - t0
        out.seek(0)
        stdout = out.read()
    return {
        "rc": proc.returncode,
        "wall_s": wall,
        "peak_rss_mb": usage.ru_maxrss / 1024,
        "user_s": usage.ru_utime,
        "sys_s": usage.ru_stime,
        "stderr": lines,
        "stdout": stdout,
    }


def first(lines: list[tuple[float, str]], pattern: str) -> float | None:
    rx = re.compile(pattern)
    for t, line in lines:
        if rx.search(line):
            return t
    return None


# ---------------------------------------------------------------------------- (a) orchestrated
PHASES = [  # (name, start pattern) in the order the job runs; each phase ends where the next starts
    ("interpreter, CLI, settings", None),
    ("Dagster definitions + job start", r"\] run full_refresh \(mode full\)"),
    ("extract (4 systems)", r"\] extract \w+ \(full\)"),
    ("validate (data contracts, GX)", r"\] data-contract checks"),
    ("dbt build (models + tests)", r"\] dbt build \(models"),
    ("validate marts (mart contracts, GX)", r"\] mart contract checks"),
    ("publish (serving + quality)", r"\] publish serving snapshot"),
    ("GX Data Docs (after publish)", r"\] GX Data Docs"),
    ("run end, process exit", r"\] run \S+ \(full_refresh\) succeeded"),
]
VALIDATION_PHASES = ("validate (data contracts, GX)", "validate marts (mart contracts, GX)")


def phases_from(lines: list[tuple[float, str]], wall: float) -> dict[str, float]:
    starts = [0.0 if pat is None else first(lines, pat) for _, pat in PHASES]
    out = {}
    for i, (name, _) in enumerate(PHASES):
        if starts[i] is None:
            continue
        nxt = next((s for s in starts[i + 1 :] if s is not None), wall)
        out[name] = round(nxt - starts[i], 2)
    return out


def dagster_step_times(home: Path, run_id: str) -> dict[str, float]:
    import dagster as dg

    os.environ["DAGSTER_HOME"] = str(home / "dagster")
    instance = dg.DagsterInstance.get()
    out = {}
    for st in instance.get_run_step_stats(run_id):
        if st.start_time and st.end_time:
            out[st.step_key] = round(st.end_time - st.start_time, 2)
    stats = instance.get_run_stats(run_id)
    if stats.start_time and stats.end_time:
        out["(whole Dagster run)"] = round(stats.end_time - stats.start_time, 2)
    return out


def orchestrated(college: Path, payment_url: str, work: Path) -> dict:
    home = work / "home-dagster"
    home.mkdir(parents=True)
    cfg = write_config(home, college, payment_url)
    print(f"(a) campus-dw run --full (Dagster job in process), home {home}", flush=True)
    res = run_child(
        [sys.executable, "-m", "orchestration.cli", "--config", str(cfg), "run", "--full"], cwd=ROOT
    )
    if res["rc"] != 0:
        print("\n".join(line for _, line in res["stderr"][-40:]), file=sys.stderr)
        raise SystemExit(f"campus-dw run failed (rc {res['rc']})")
    res["phases_s"] = phases_from(res["stderr"], res["wall_s"])
    m = next(
        (
            re.search(r"run (\S+) \(full_refresh\) succeeded", ln)
            for _, ln in res["stderr"]
            if "succeeded" in ln
        ),
        None,
    )
    res["run_id"] = m.group(1) if m else None
    q = next((ln for _, ln in res["stderr"] if re.search(r"\] quality \S+: \d+ rules", ln)), "")
    res["quality_line"] = q.split("] ", 1)[-1]
    if res["run_id"]:
        res["dagster_steps_s"] = dagster_step_times(home, res["run_id"])
    return res


# ------------------------------------------------------------------------------------ (b) bare
def bare_child(cfg: Path, out: Path) -> None:
    """The same work without Dagster (runs in its own process; writes its timings to ``out``)."""
    t_start = time.monotonic()

    def say(msg: str) -> None:
        print(f"[bare {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)

    from orchestration.settings import load_settings

    settings = load_settings(cfg)
    target = settings.dbt_target_dir  # dbt_build_step writes there (the home's), not to dbt_project/
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    run_id = f"bare-{uuid.uuid4().hex[:12]}"
    times: dict[str, float] = {}

    s = time.monotonic()
    from extractors.run import extract_all

    say("extract (full, 4 systems)")
    report = extract_all(settings.warehouse_path, settings, mode="full", run_id=run_id)
    if not report.ok:
        raise SystemExit("extraction failed: " + "; ".join(report.errors()))
    times["extract"] = time.monotonic() - s

    s = time.monotonic()
    from data_contracts.runner import run_checks

    say("validate (data contracts, GX)")
    checks = run_checks(settings.warehouse_path, run_id, changed_only=True)
    times["validate"] = time.monotonic() - s
    quality_line = checks.summary().splitlines()[0]
    say(quality_line)

    s = time.monotonic()
    from orchestration.pipeline import dbt_build_step

    say("dbt build (dbtRunner)")
    dbt_build_step(settings, log=lambda _m: None)
    times["dbt"] = time.monotonic() - s

    say("done (publish runs in the next process)")
    dbt_tests = None
    rr = target / "run_results.json"
    if rr.exists():
        results = json.loads(rr.read_text())["results"]
        dbt_tests = sum(
            r.get("execution_time") or 0
            for r in results
            if r["unique_id"].startswith(("test.", "unit_test."))
        )
    out.write_text(
        json.dumps(
            {
                "run_id": run_id,
                "steps_s": times,
                "in_process_s": time.monotonic() - t_start,
                "quality_line": quality_line,
                "dbt_test_exec_s_sum": dbt_tests,
            }
        )
    )


def bare_publish_child(cfg: Path, out: Path, run_id: str) -> None:
    """Publish in a process of its own: dbt-duckdb keeps the warehouse attached in the process that ran
    dbtRunner, and the publisher's read-only ATTACH of the same file then fails ("Unique file handle
    conflict"); in the Dagster job dbt runs as a subprocess, so the same split is fair."""
    t_start = time.monotonic()
    from orchestration.publish import publish_quality, publish_serving
    from orchestration.settings import load_settings

    settings = load_settings(cfg)
    # the mart checks open the warehouse too: here, after dbt's process is gone (as in the job). GX is
    # imported before the clock starts: in the job (one process) the raw checks have imported it.
    from data_contracts.gx_suites import import_gx
    from data_contracts.runner import run_mart_checks

    import_gx()
    s = time.monotonic()

    print(
        f"[bare {time.strftime('%H:%M:%S')}] validate marts (mart contracts, GX)", file=sys.stderr, flush=True
    )
    marts = run_mart_checks(settings.warehouse_path, run_id)
    validate_marts_s = time.monotonic() - s
    print(f"[bare] {marts.summary().splitlines()[0]}", file=sys.stderr, flush=True)
    print(f"[bare {time.strftime('%H:%M:%S')}] publish (serving + quality)", file=sys.stderr, flush=True)
    s = time.monotonic()
    publish_serving(settings, run_id, manifest_path=settings.dbt_target_dir / "manifest.json")
    publish_quality(settings, run_id)
    out.write_text(
        json.dumps(
            {
                "publish_s": time.monotonic() - s,
                "validate_marts_s": validate_marts_s,
                "in_process_s": time.monotonic() - t_start,
            }
        )
    )


def bare(college: Path, payment_url: str, work: Path) -> dict:
    home = work / "home-bare"
    home.mkdir(parents=True)
    cfg = write_config(home, college, payment_url)
    out = work / "bare.json"
    print(f"(b) the same steps bare (no Dagster), home {home}", flush=True)
    res = run_child(
        [sys.executable, str(Path(__file__).resolve()), "--bare-child", str(cfg), str(out)], cwd=ROOT
    )
    if res["rc"] != 0:
        print("\n".join(line for _, line in res["stderr"][-40:]), file=sys.stderr)
        raise SystemExit(f"bare run failed (rc {res['rc']})")
    res.update(json.loads(out.read_text()))
    out2 = work / "bare-publish.json"
    pub = run_child(
        [
            sys.executable,
            str(Path(__file__).resolve()),
            "--bare-publish-child",
            str(cfg),
            str(out2),
            res["run_id"],
        ],
        cwd=ROOT,
    )
    if pub["rc"] != 0:
        print("\n".join(line for _, line in pub["stderr"][-40:]), file=sys.stderr)
        raise SystemExit(f"bare publish failed (rc {pub['rc']})")
    published = json.loads(out2.read_text())
    res["steps_s"]["validate_marts"] = published["validate_marts_s"]
    res["steps_s"]["publish"] = published["publish_s"]
    res["wall_s"] += pub["wall_s"]
    res["in_process_s"] += published["in_process_s"]
    res["peak_rss_mb"] = max(res["peak_rss_mb"], pub["peak_rss_mb"])
    res["user_s"] += pub["user_s"]
    res["sys_s"] += pub["sys_s"]
    return res


# ------------------------------------------------------------------------------------- demo
def demo_from_fresh_clone(work: Path) -> dict:
    clone = work / "fresh_clone"
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("CAMPUS_DW_", "VIRTUAL_ENV", "DAGSTER_HOME"))
    }
    venv_bin = str(Path(sys.executable).parent)  # `uv run` puts this repository's venv first on PATH
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if p != venv_bin)
    times: dict[str, object] = {}
    print(f"demo from a fresh clone in {clone}", flush=True)
    t = time.monotonic()
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
    times["git clone"] = round(time.monotonic() - t, 1)
    t = time.monotonic()
    subprocess.run(["make", "install"], cwd=clone, env=env, check=True)
    times["make install"] = round(time.monotonic() - t, 1)
    # as the README says (`uv run` puts the clone's venv on PATH; dagster-dbt looks `dbt` up on PATH)
    uv = shutil.which("uv", path=env["PATH"]) or "uv"
    res = run_child([uv, "run", "campus-dw", "demo", "--no-serve"], cwd=clone, env=env)
    times["campus-dw demo --no-serve"] = round(res["wall_s"], 1)
    times["demo rc"] = res["rc"]
    times["demo peak RSS MB"] = round(res["peak_rss_mb"])
    lines = res["stderr"]
    gen0 = first(lines, r"generating the medium demo college")
    run0 = first(lines, r"\] run full_refresh")
    done = first(lines, r"succeeded in")
    if gen0 is not None and run0 is not None:
        times["  of which: generate the medium college"] = round(run0 - gen0, 1)
    if run0 is not None and done is not None:
        times["  of which: pipeline run (job start to published)"] = round(done - run0, 1)
    times["total (clone + install + demo)"] = round(
        float(times["git clone"]) + float(times["make install"]) + res["wall_s"], 1
    )
    if res["rc"] != 0:
        times["demo error"] = "\n".join(line for _, line in lines[-15:])
    return times


# ----------------------------------------------------------------------------------- warm-up
#: what both variants import; the first process to import them after the machine started reads them
#: from disk (15.4 s of interpreter and CLI start-up in such a run, 6.0 s in the next), and without a
#: warm-up that cost falls on whichever variant runs first, the orchestrated one
WARM_UP_IMPORTS = (
    "dagster, dagster_dbt, dbt.cli.main, great_expectations, pandas, pyarrow, duckdb, "
    "orchestration.cli, extractors.run, data_contracts.runner, orchestration.publish"
)


def warm_up() -> float:
    """Import what both variants import, in a throwaway process (not timed as part of either)."""
    t = time.monotonic()
    subprocess.run([sys.executable, "-c", f"import {WARM_UP_IMPORTS}"], cwd=ROOT, check=True)
    return round(time.monotonic() - t, 1)


# -------------------------------------------------------------------------------------- main
def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--college",
        type=Path,
        help="a generated medium college (default: .campus-dw/demo/medium, generated there if missing)",
    )
    ap.add_argument("--work", type=Path, help="scratch folder (default: a temp folder, removed afterwards)")
    ap.add_argument(
        "--demo", action="store_true", help="also time campus-dw demo --no-serve from a fresh clone"
    )
    ap.add_argument("--only-demo", action="store_true", help="only the fresh-clone demo timing")
    ap.add_argument(
        "--cold",
        action="store_true",
        help="no warm-up: the orchestrated variant, which runs first, then also pays for reading the "
        "packages from disk when the page cache is cold",
    )
    ap.add_argument("--json", type=Path, help="write the figures to this file too")
    ap.add_argument("--bare-child", nargs=2, metavar=("CFG", "OUT"), help=argparse.SUPPRESS)
    ap.add_argument("--bare-publish-child", nargs=3, metavar=("CFG", "OUT", "RUN_ID"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.bare_child:
        bare_child(Path(args.bare_child[0]), Path(args.bare_child[1]))
        return
    if args.bare_publish_child:
        cfg, out, run_id = args.bare_publish_child
        bare_publish_child(Path(cfg), Path(out), run_id)
        return

    work = args.work or Path(tempfile.mkdtemp(prefix="bench_pipeline_"))
    work.mkdir(parents=True, exist_ok=True)
    figures: dict[str, object] = {
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "cpus": os.cpu_count(),
        "load_before": load_average(),
    }
    try:
        if not args.only_demo:
            from demo_college.payment_server import PaymentServer

            college = args.college or ROOT / ".campus-dw" / "demo" / "medium"
            if not college_complete(college):
                from demo_college.generate import generate_college

                t = time.monotonic()
                generate_college("medium", college, seed=20251, target="sqlite")
                figures["generate medium college s"] = round(time.monotonic() - t, 1)
            figures["college"] = str(college)
            figures["counts"] = json.loads((college / "college.json").read_text()).get("counts")
            os.environ[TOKEN_ENV] = TOKEN
            server = PaymentServer(college / "payment" / "bills.jsonl", port=0, token=TOKEN)
            server.start()
            try:
                if not args.cold:
                    figures["warm_up_imports_s"] = warm_up()
                a = orchestrated(college, server.url, work)
                figures["load_between"] = load_average()
                b = bare(college, server.url, work)
            finally:
                server.stop()
            figures["load_after"] = load_average()
            steps_sum = sum(b["steps_s"].values())
            validate_a = sum(a["phases_s"].get(p, 0.0) for p in VALIDATION_PHASES)
            figures["orchestrated"] = {
                "wall_s": round(a["wall_s"], 1),
                "peak_rss_mb": round(a["peak_rss_mb"]),
                "cpu_s": round(a["user_s"] + a["sys_s"], 1),
                "phases_s": a["phases_s"],
                "dagster_steps_s": a.get("dagster_steps_s"),
                "quality": a["quality_line"],
                "validation_share": round(validate_a / a["wall_s"], 3),
            }
            figures["bare"] = {
                "wall_s": round(b["wall_s"], 1),
                "peak_rss_mb": round(b["peak_rss_mb"]),
                "cpu_s": round(b["user_s"] + b["sys_s"], 1),
                "steps_s": {k: round(v, 2) for k, v in b["steps_s"].items()},
                "steps_sum_s": round(steps_sum, 1),
                "interpreter_and_imports_s": round(b["wall_s"] - b["in_process_s"], 1),
                "quality": b["quality_line"],
                "dbt_test_exec_s_sum": b["dbt_test_exec_s_sum"],
                "validation_share": round(
                    (b["steps_s"]["validate"] + b["steps_s"].get("validate_marts", 0.0)) / b["wall_s"], 3
                ),
            }
            figures["overhead_ratio_wall"] = round(a["wall_s"] / b["wall_s"], 2)
            figures["overhead_ratio_vs_steps_sum"] = round(a["wall_s"] / steps_sum, 2)
        if args.demo or args.only_demo:
            figures["demo_fresh_clone"] = demo_from_fresh_clone(work)
            figures["load_after_demo"] = load_average()
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(figures, indent=2, ensure_ascii=False))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
