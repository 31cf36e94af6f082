"""Dashboard page render times on a published serving snapshot.

    uv run python bench/bench_dashboards.py [--config CAMPUS_DW_CONFIG] [--runs 20] [--sessions 20]

1. AppTest (in process, the script run itself, no browser): per page, ``--cold`` runs with every
   Streamlit cache cleared first (a new snapshot / a restarted server) and ``--runs`` warm reruns;
   95th percentile and median.
2. Served app + Debian's chromium (Playwright): ``--sessions`` browser pages opened at once on
   loopback against one ``streamlit run`` server, each loading every page in turn; time from
   navigation until the script run is over and the charts are drawn.

Without ``--config`` the snapshot is the medium college's if ``.campus-dw/serving`` holds one,
else a fresh full pipeline run on the small demo college (about 2 minutes).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PAGES = ("overview", "students", "faculty", "finance")


def p95(xs: list[float]) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, max(0, round(0.95 * len(xs)) - 1))]


def small_snapshot() -> Path:
    """Generate the small college, run the pipeline once, return the config path."""
    from demo_college.generate import generate_college
    from demo_college.payment_server import PaymentServer
    from orchestration.pipeline import run_pipeline
    from orchestration.settings import load_settings
    from tests.conftest import TOKEN, write_config

    root = Path(tempfile.mkdtemp(prefix="bench-dash-"))
    college = root / "college"
    generate_college("small", college, seed=20251, target="sqlite")
    os.environ["CAMPUS_DW_TEST_PAYMENT_TOKEN"] = TOKEN
    server = PaymentServer(college / "payment" / "bills.jsonl", port=0, token=TOKEN)
    server.start()
    try:
        home = root / "home"
        home.mkdir()
        cfg = write_config(home, college, server.url)
        outcome = run_pipeline(load_settings(cfg), mode="full", log=lambda _m: None)
        if not outcome.success:
            raise SystemExit(f"pipeline failed: {outcome}")
    finally:
        server.stop()
    return cfg


def apptest_times(runs: int, cold: int) -> dict[str, dict[str, list[float]]]:
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    app = str(ROOT / "dashboards" / "app.py")
    out: dict[str, dict[str, list[float]]] = {}
    for page in PAGES:
        res = {"cold": [], "warm": []}
        for _ in range(cold):
            st.cache_data.clear()
            st.cache_resource.clear()
            at = AppTest.from_file(app, default_timeout=120)
            at.run()
            if page != "overview":
                at.switch_page(f"pages/{page}.py")
            t0 = time.perf_counter()
            at.run()
            res["cold"].append(time.perf_counter() - t0)
            assert not at.exception, [e.value for e in at.exception]
        at = AppTest.from_file(app, default_timeout=120)
        at.run()
        if page != "overview":
            at.switch_page(f"pages/{page}.py")
        at.run()
        for _ in range(runs):
            t0 = time.perf_counter()
            at.run()
            res["warm"].append(time.perf_counter() - t0)
        assert not at.exception
        out[page] = res
    return out


async def _session(browser, url: str, times: dict[str, list[float]], sem: asyncio.Semaphore) -> None:
    async with sem:
        page = await browser.new_page(viewport={"width": 1400, "height": 1000})
        try:
            for name in PAGES:
                t0 = time.perf_counter()
                await page.goto(
                    f"{url}/{'' if name == 'overview' else name}", timeout=180_000, wait_until="commit"
                )
                await page.wait_for_selector("h1", timeout=180_000)
                await page.wait_for_selector(
                    '[data-testid="stStatusWidget"]', state="detached", timeout=180_000
                )
                await page.wait_for_selector(".vega-embed svg, .vega-embed canvas", timeout=180_000)
                times[name].append(time.perf_counter() - t0)
        finally:
            await page.close()


async def browser_times(url: str, sessions: int, parallel: int) -> tuple[dict[str, list[float]], float]:
    from playwright.async_api import async_playwright

    from tests.dashboards.served import CHROMIUM, CHROMIUM_ARGS

    times: dict[str, list[float]] = {p: [] for p in PAGES}
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            # one warm-up session so the server's caches hold the snapshot's queries
            await _session(browser, url, {p: [] for p in PAGES}, asyncio.Semaphore(1))
            sem = asyncio.Semaphore(parallel)
            t0 = time.perf_counter()
            await asyncio.gather(*(_session(browser, url, times, sem) for _ in range(sessions)))
            wall = time.perf_counter() - t0
        finally:
            await browser.close()
    return times, wall


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--config", type=Path, help="campus-dw config of a published snapshot")
    ap.add_argument("--runs", type=int, default=20, help="warm AppTest runs per page")
    ap.add_argument("--cold", type=int, default=5, help="cold AppTest runs per page")
    ap.add_argument("--sessions", type=int, default=20, help="concurrent browser sessions")
    ap.add_argument("--parallel", type=int, default=20, help="browser pages open at once (bound)")
    ap.add_argument("--skip-browser", action="store_true")
    ap.add_argument("--skip-apptest", action="store_true")
    args = ap.parse_args()

    config = args.config
    if config is None:
        medium = ROOT / ".campus-dw" / "campus-dw.yml"
        if (ROOT / ".campus-dw" / "serving" / "CURRENT").exists() and medium.exists():
            config = medium
        else:
            print("no published snapshot given: running the pipeline on the small college ...", flush=True)
            config = small_snapshot()
    os.environ["CAMPUS_DW_CONFIG"] = str(config)
    os.environ.pop("CAMPUS_DW_HOME", None)
    print(f"snapshot config: {config}")

    res = {} if args.skip_apptest else apptest_times(args.runs, args.cold)
    if res:
        print("\nAppTest script run (s)      cold p95  cold med   warm p95  warm med")
    for page, r in res.items():
        print(
            f"  {page:10s}                {p95(r['cold']):8.3f} {statistics.median(r['cold']):9.3f}"
            f" {p95(r['warm']):10.3f} {statistics.median(r['warm']):9.3f}"
        )

    if args.skip_browser:
        return
    from tests.dashboards.served import serve_app

    with serve_app(config) as url:
        times, wall = asyncio.run(browser_times(url, args.sessions, args.parallel))
    print(f"\nChromium, {args.sessions} sessions ({args.parallel} at once), load until charts drawn (s)")
    print("  page        p50      p95      max")
    for page, xs in times.items():
        print(f"  {page:10s} {statistics.median(xs):6.2f}  {p95(xs):7.2f}  {max(xs):7.2f}")
    print(f"  all {args.sessions} sessions × {len(PAGES)} pages: {wall:.1f} s wall")


if __name__ == "__main__":
    main()
