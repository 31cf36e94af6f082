"""End to end in a real headless Chromium (Debian's /usr/bin/chromium driven by Playwright) against
the dashboards served by ``streamlit run``, reading the snapshot a full pipeline run published on the
small demo college (the session fixture ``small_pipeline``).

Each page loads and shows its key numbers (Overview's registered students = ``campus-dw kpis``;
Students' headcount card the same number), switches language, downloads a table; a screenshot of
every page in both languages goes to ``test-artifacts/screenshots/<page>_<lang>.png``.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.dashboards.served import CHROMIUM, ROOT, launch_chromium, serve_app

pytestmark = pytest.mark.browser

SHOTS = ROOT / "test-artifacts" / "screenshots"
PAGES = {
    "overview": ("校情总览", "College overview"),
    "students": ("学生", "Students"),
    "faculty": ("师资", "Faculty"),
    "finance": ("财务", "Finance"),
}
CHART = ".vega-embed svg, .vega-embed canvas"
RUNNING = '[data-testid="stStatusWidget"]'


def kpis_json(config: Path) -> dict:
    env = {**os.environ, "CAMPUS_DW_CONFIG": str(config)}
    cli = Path(sys.executable).parent / "campus-dw"
    out = subprocess.run(
        [str(cli), "kpis", "--format", "json"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return json.loads(out.stdout)


def settle(page, *, charts: bool = True, timeout: float = 30_000) -> None:
    """Wait until the script run is over and (where the page has any) the charts are drawn."""
    page.wait_for_selector("h1", timeout=timeout)
    page.wait_for_selector(RUNNING, state="detached", timeout=timeout)
    if charts:
        page.wait_for_selector(CHART, timeout=timeout)
    page.wait_for_timeout(300)  # vega's last paint


def metric_text(page, key: str) -> str:
    return page.locator(f".st-key-{key} [data-testid='stMetricValue']").first.inner_text().strip()


def shoot(page, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    # Streamlit scrolls inside its main block, so a tall viewport captures the whole page.
    height = page.evaluate("document.querySelector('[data-testid=\"stMain\"]')?.scrollHeight || 1200")
    page.set_viewport_size({"width": 1400, "height": min(max(int(height) + 40, 900), 9000)})
    page.wait_for_timeout(300)
    page.screenshot(path=str(path))
    page.set_viewport_size({"width": 1400, "height": 1000})
    return path


@pytest.fixture(scope="module")
def served(request, tmp_path_factory):
    # CAMPUS_DW_BROWSER_CONFIG names the config of an already published snapshot (a quick local
    # rerun); by default the session's full pipeline run on the small college provides one.
    given = os.environ.get("CAMPUS_DW_BROWSER_CONFIG")
    if given:
        config = Path(given)
    else:
        config, outcome = request.getfixturevalue("small_pipeline")
        assert outcome.success, outcome
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (apt-get install chromium fonts-noto-cjk)")
    log = tmp_path_factory.mktemp("streamlit") / "streamlit.log"
    with serve_app(config, log_path=log) as url:
        yield url, config, log


def test_pages_in_chromium(served) -> None:
    from playwright.sync_api import expect, sync_playwright

    url, config, log = served
    started = time.monotonic()
    published = kpis_json(config)
    year = int(published["academic_year"][:4])
    registered = published["kpis"]["registered_students"]
    expected_registered = f"{registered:,}"

    with sync_playwright() as pw:
        browser = launch_chromium(pw)
        try:
            context = browser.new_context(
                viewport={"width": 1400, "height": 1000}, accept_downloads=True, locale="zh-CN"
            )
            page = context.new_page()

            # Overview, Chinese by default: the registered-students card equals `campus-dw kpis`.
            page.goto(f"{url}/?ay={year}&fy={published['fiscal_year']}")
            settle(page)
            expect(page.locator("h1").first).to_have_text(PAGES["overview"][0])
            assert metric_text(page, "kpi_registered_students") == expected_registered
            shoot(page, "overview_zh")

            # A download of a visible table (the key ratios).
            button = page.locator(f".st-key-dl_csv_overview_ratios_{year}_{published['fiscal_year']} button")
            with page.expect_download(timeout=20_000) as info:
                button.click()
            download = info.value
            assert download.suggested_filename.endswith(".csv")
            text = Path(download.path()).read_bytes().decode("utf-8-sig")
            assert "指标" in text.splitlines()[0]

            # Switch to English in the sidebar; labels change.
            page.locator("[data-testid='stSidebar']").get_by_text("English", exact=True).click()
            expect(page.locator("h1").first).to_have_text(PAGES["overview"][1], timeout=20_000)
            settle(page)
            assert metric_text(page, "kpi_registered_students") == expected_registered
            assert "Registered students" in page.locator(".st-key-kpi_registered_students").inner_text()
            shoot(page, "overview_en")

            # The domain pages, in both languages, through the sidebar navigation and ?lang=.
            for name in ("students", "faculty", "finance"):
                for lang in ("en", "zh"):
                    page.goto(f"{url}/{name}?lang={lang}&ay={year}&fy={published['fiscal_year']}")
                    settle(page)
                    expect(page.locator("h1").first).to_have_text(PAGES[name][0 if lang == "zh" else 1])
                    assert not page.locator("[data-testid='stException']").count()
                    body = page.locator("[data-testid='stMain']").inner_text()
                    assert "Traceback" not in body
                    assert "marts.agg_" not in body, "the snapshot should hold every aggregate"
                    if name == "students":
                        assert metric_text(page, "m_registered_students") == expected_registered
                        csv = page.locator(
                            ".st-key-tbl_students_census_by_unit [class*='st-key-dl_csv_'] button"
                        )
                        with page.expect_download(timeout=20_000) as info:
                            csv.first.click()
                        assert info.value.suggested_filename.startswith("students_census_by_unit")
                        assert info.value.suggested_filename.endswith(".csv")
                    if name == "faculty":
                        teachers = published["kpis"]["fulltime_teachers"]
                        assert metric_text(page, "m_fulltime_teachers") == f"{teachers:,}"
                    shoot(page, f"{name}_{lang}")

        finally:
            browser.close()
    assert time.monotonic() - started < 120, "the browser test should stay well under two minutes"
    assert "Traceback" not in log.read_text(encoding="utf-8", errors="replace")


def quality_json(config: Path) -> list[dict]:
    env = {**os.environ, "CAMPUS_DW_CONFIG": str(config)}
    env.pop("CAMPUS_DW_VIEWER_STEWARD", None)
    cli = Path(sys.executable).parent / "campus-dw"
    out = subprocess.run(
        [str(cli), "quality", "--format", "json"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return json.loads(out.stdout)


def test_quality_page_in_chromium(served) -> None:
    """数据质量: the failed-rows card equals `campus-dw quality`, a screenshot in each language, and
    the academic office's xlsx workbook downloads and opens with openpyxl."""
    from openpyxl import load_workbook
    from playwright.sync_api import expect, sync_playwright

    url, config, log = served
    started = time.monotonic()
    entries = quality_json(config)
    failed_rows = sum(e["failed_rows"] for e in entries)
    academic = {
        e["rule_id"] for e in entries if e["owner"] == "academic_office" and e["status"] in ("fail", "error")
    }
    with sync_playwright() as pw:
        browser = launch_chromium(pw)
        try:
            context = browser.new_context(
                viewport={"width": 1400, "height": 1000}, accept_downloads=True, locale="zh-CN"
            )
            page = context.new_page()
            page.goto(f"{url}/quality")
            settle(page)
            expect(page.locator("h1").first).to_have_text("数据质量")
            assert not page.locator("[data-testid='stException']").count()
            assert metric_text(page, "m_q_failed_rows") == f"{failed_rows:,}"
            assert "个人信息已遮蔽" in page.locator(".st-key-q_viewer").inner_text()
            shoot(page, "quality_zh")

            button = page.locator(".st-key-dl_q_xlsx_academic_office button")
            with page.expect_download(timeout=30_000) as info:
                button.click()
            download = info.value
            assert download.suggested_filename.startswith("quality_academic_office_")
            assert download.suggested_filename.endswith(".xlsx")
            wb = load_workbook(io.BytesIO(Path(download.path()).read_bytes()))
            assert wb.sheetnames == ["概况", "未通过规则", "问题记录", "隔离记录"]
            assert {r[0] for r in wb["未通过规则"].iter_rows(min_row=2, values_only=True)} == academic

            page.goto(f"{url}/quality?lang=en")
            settle(page)
            expect(page.locator("h1").first).to_have_text("Data quality")
            assert metric_text(page, "m_q_failed_rows") == f"{failed_rows:,}"
            shoot(page, "quality_en")
        finally:
            browser.close()
    assert time.monotonic() - started < 60, "the quality page's browser test should stay small"
    assert "Traceback" not in log.read_text(encoding="utf-8", errors="replace")


def sql_csv(config: Path, query: str) -> str:
    env = {**os.environ, "CAMPUS_DW_CONFIG": str(config)}
    cli = Path(sys.executable).parent / "campus-dw"
    out = subprocess.run(
        [str(cli), "sql", query, "--format", "csv"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return out.stdout.strip()


def test_sql_page_in_chromium(served) -> None:
    """分析查询: a query typed and run in the browser downloads the same CSV as `campus-dw sql`; an
    ATTACH is refused with a message; a screenshot in each language."""
    from playwright.sync_api import expect, sync_playwright

    url, config, log = served
    started = time.monotonic()
    query = (
        "select unit_code, sum(headcount) as headcount from marts.agg_student_census "
        "group by unit_code order by unit_code"
    )
    expected = sql_csv(config, query)
    with sync_playwright() as pw:
        browser = launch_chromium(pw)
        try:
            context = browser.new_context(
                viewport={"width": 1400, "height": 1000}, accept_downloads=True, locale="zh-CN"
            )
            page = context.new_page()
            page.goto(f"{url}/sql")
            settle(page, charts=False)
            expect(page.locator("h1").first).to_have_text("分析查询（只读 SQL）")
            box = page.locator(".st-key-sql_query textarea")
            box.fill(query)
            box.press("Control+Enter")
            settle(page, charts=False)
            page.locator(".st-key-sql_run button").click()
            page.wait_for_selector(".st-key-sql_result [data-testid='stDataFrame']", timeout=30_000)
            settle(page, charts=False)
            shoot(page, "sql_zh")
            with page.expect_download(timeout=30_000) as info:
                page.locator(".st-key-dl_csv_sql_result button").click()
            got = Path(info.value.path()).read_bytes().decode("utf-8-sig").strip().replace("\r\n", "\n")
            assert got == expected.replace("\r\n", "\n")

            box = page.locator(".st-key-sql_query textarea")
            box.fill("attach '/tmp/other.duckdb' as other")
            box.press("Control+Enter")
            settle(page, charts=False)
            page.locator(".st-key-sql_run button").click()
            page.wait_for_selector(".st-key-sql_error", timeout=30_000)
            settle(page, charts=False)
            expect(page.locator(".st-key-sql_error")).to_contain_text("ATTACH", timeout=10_000)
            assert not page.locator("[data-testid='stException']").count()

            page.goto(f"{url}/sql?lang=en")
            settle(page, charts=False)
            expect(page.locator("h1").first).to_have_text("Ad-hoc SQL (read-only)")
            shoot(page, "sql_en")
        finally:
            browser.close()
    assert time.monotonic() - started < 60, "the SQL page's browser test should stay small"
    assert "Traceback" not in log.read_text(encoding="utf-8", errors="replace")
