"""Dashboard page render times on a published serving snapshot.

    uv run python bench/bench_dashboards.py [--config CAMPUS_DW_CONFIG] [--modes apptest,ws]
        [--runs 20 --cold 5] [--sessions 20] [--json out.json]

Modes (``--modes``, comma-separated; default ``apptest,ws``):

1. ``apptest``: AppTest, in process (the script run itself, no browser, no websocket): per page,
   ``--cold`` runs with every Streamlit cache cleared first (a new snapshot / a restarted server) and
   ``--runs`` warm reruns; 95th percentile and median.
2. ``ws``: one ``streamlit run`` server and ``--sessions`` websocket-only clients speaking
   Streamlit's own protocol, all connected at once: each client connects to ``/_stcore/stream``,
   sends the ``rerun_script`` BackMsg (``streamlit.proto``) for every page in turn, as the browser
   does on navigation, and times it until the server's ``script_finished`` ForwardMsg (every delta of
   the page has been received by then).  No browser renders anything, so the figures are the
   server's: script runs of 20 sessions contending for the same cores.  A first single session
   right after the server starts gives the served cold times (empty caches) and warms the caches.
3. ``browser``: the same server and Debian's chromium (Playwright): ``--sessions`` browser pages
   opened at once, each loading every page in turn; time from navigation until the script run is
   over and the charts are drawn.  On one machine this measures 20 Chromium renderers as much as
   the server.

Without ``--config`` the snapshot is the medium college's if ``.campus-dw/serving`` holds one,
else a fresh full pipeline run on the small demo college (about 2 minutes).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
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
            at = AppTest.from_file(app, default_timeout=120)
            at.run()
            if page != "overview":
                at.switch_page(f"pages/{page}.py")
            # caches cleared right before the timed run (the first run above filled them): the
            # reader reopens the snapshot and every query of the page runs again
            st.cache_data.clear()
            st.cache_resource.clear()
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


# -- websocket-only clients (Streamlit's protocol) ----------------------------------------------------


def _rerun_msg(page: str, query_string: str) -> bytes:
    """The BackMsg a browser sends to (re)run the app on ``page`` (url path; "" = default page)."""
    from streamlit.proto.BackMsg_pb2 import BackMsg

    msg = BackMsg()
    msg.rerun_script.query_string = query_string
    msg.rerun_script.page_name = "" if page == "overview" else page
    msg.rerun_script.page_script_hash = ""
    return msg.SerializeToString()


async def _until_finished(ws) -> tuple[int, list[str]]:
    """Read ForwardMsgs until a script run finishes (not one cut short by a rerun); returns the
    number of deltas and the problems seen (uncaught exceptions, the app's error boxes)."""
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    deltas, problems = 0, []
    while True:
        fm = ForwardMsg()
        fm.ParseFromString(await ws.recv())
        kind = fm.WhichOneof("type")
        if kind == "delta":
            deltas += 1
            if fm.delta.WhichOneof("type") == "new_element":
                el = fm.delta.new_element
                which = el.WhichOneof("type")
                if which == "exception":
                    problems.append(f"exception: {el.exception.message[:120]}")
                elif which == "alert" and el.alert.format == el.alert.ERROR:
                    problems.append(f"error box: {el.alert.body[:120]}")
        elif kind == "script_finished":
            if fm.script_finished == ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                continue
            if fm.script_finished == ForwardMsg.FINISHED_WITH_COMPILE_ERROR:
                problems.append("compile error")
            return deltas, problems


async def _ws_session(
    url: str, pages: tuple[str, ...], query_string: str, times: dict[str, list[float]], problems: list[str]
) -> None:
    import websockets

    stream = url.replace("http://", "ws://") + "/_stcore/stream"
    async with websockets.connect(
        stream, subprotocols=["streamlit"], max_size=None, open_timeout=300, ping_interval=None
    ) as ws:
        for name in pages:
            t0 = time.perf_counter()
            await ws.send(_rerun_msg(name, query_string))
            deltas, seen = await asyncio.wait_for(_until_finished(ws), timeout=600)
            times[name].append(time.perf_counter() - t0)
            problems += [f"{name}: {p}" for p in seen]
            if deltas < 5:
                problems.append(f"{name}: only {deltas} deltas")


async def ws_times(
    url: str, sessions: int, query_string: str = ""
) -> tuple[dict[str, list[float]], dict[str, list[float]], float, list[str]]:
    """(cold single-session times, concurrent times, wall of the concurrent part, problems)."""
    cold: dict[str, list[float]] = {p: [] for p in PAGES}
    problems: list[str] = []
    await _ws_session(url, PAGES, query_string, cold, problems)  # first session: empty caches
    times: dict[str, list[float]] = {p: [] for p in PAGES}
    t0 = time.perf_counter()
    await asyncio.gather(*(_ws_session(url, PAGES, query_string, times, problems) for _ in range(sessions)))
    return cold, times, time.perf_counter() - t0, problems


def uptime() -> str:
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()
    except OSError:
        return "uptime unavailable"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--config", type=Path, help="campus-dw config of a published snapshot")
    ap.add_argument("--modes", default="apptest,ws", help="comma-separated: apptest, ws, browser")
    ap.add_argument("--runs", type=int, default=20, help="warm AppTest runs per page")
    ap.add_argument("--cold", type=int, default=5, help="cold AppTest runs per page")
    ap.add_argument("--sessions", type=int, default=20, help="concurrent sessions (ws and browser)")
    ap.add_argument("--parallel", type=int, default=20, help="browser pages open at once (bound)")
    ap.add_argument("--lang", default="zh", choices=["zh", "en"], help="page language (ws mode)")
    ap.add_argument("--json", type=Path, help="write the raw timings here")
    args = ap.parse_args()
    modes = {m.strip() for m in args.modes.split(",") if m.strip()}
    unknown = modes - {"apptest", "ws", "browser"}
    if unknown:
        ap.error(f"unknown modes: {', '.join(sorted(unknown))}")

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
    report: dict = {"config": str(config), "modes": sorted(modes), "uptime": {"start": uptime()}}
    print(f"uptime: {report['uptime']['start']}", flush=True)

    if "apptest" in modes:
        res = apptest_times(args.runs, args.cold)
        report["apptest"] = res
        report["uptime"]["after_apptest"] = uptime()
        print("\nAppTest script run (s)      cold p95  cold med   warm p95  warm med")
        for page, r in res.items():
            print(
                f"  {page:10s}                {p95(r['cold']):8.3f} {statistics.median(r['cold']):9.3f}"
                f" {p95(r['warm']):10.3f} {statistics.median(r['warm']):9.3f}"
            )
        print(f"uptime: {report['uptime']['after_apptest']}", flush=True)

    if modes & {"ws", "browser"}:
        from tests.dashboards.served import serve_app

        query_string = "" if args.lang == "zh" else f"lang={args.lang}"
        with serve_app(config, timeout=180) as url:
            if "ws" in modes:
                cold, times, wall, problems = asyncio.run(ws_times(url, args.sessions, query_string))
                report["ws"] = {"cold": cold, "concurrent": times, "wall": wall, "problems": problems}
                report["uptime"]["after_ws"] = uptime()
                print("\nwebsocket clients: first session after server start (cold caches), s")
                for page, xs in cold.items():
                    print(f"  {page:10s} {xs[0]:6.2f}")
                print(
                    f"{args.sessions} concurrent websocket sessions × {len(PAGES)} pages, "
                    "rerun sent → script_finished (s)"
                )
                print("  page        p50      p95      max")
                for page, xs in times.items():
                    print(f"  {page:10s} {statistics.median(xs):6.2f}  {p95(xs):7.2f}  {max(xs):7.2f}")
                print(f"  all {args.sessions} sessions × {len(PAGES)} pages: {wall:.1f} s wall")
                print(f"  problems: {problems or 'none'}")
                print(f"uptime: {report['uptime']['after_ws']}", flush=True)
            if "browser" in modes:
                btimes, bwall = asyncio.run(browser_times(url, args.sessions, args.parallel))
                report["browser"] = {"concurrent": btimes, "wall": bwall}
                report["uptime"]["after_browser"] = uptime()
                print(
                    f"\nChromium, {args.sessions} sessions ({args.parallel} at once), "
                    "load until charts drawn (s)"
                )
                print("  page        p50      p95      max")
                for page, xs in btimes.items():
                    print(f"  {page:10s} {statistics.median(xs):6.2f}  {p95(xs):7.2f}  {max(xs):7.2f}")
                print(f"  all {args.sessions} sessions × {len(PAGES)} pages: {bwall:.1f} s wall")
                print(f"uptime: {report['uptime']['after_browser']}", flush=True)
    if args.json:
        args.json.write_text(json.dumps(report, indent=1, ensure_ascii=False), encoding="utf-8")


if __name__ == "__main__":
    main()
