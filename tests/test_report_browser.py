"""The demo report in a real browser: headless Chromium (Debian's package) driven by Playwright.

The report is made the way a user makes it (`micrograd-ko demo --quick`, Korean),
opened from disk with no server and no network, and must load without a console
error, show its figures, and draw its Korean text with the font it carries.
"""

import os
import shutil
import subprocess
import sys

import pytest


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    proc = subprocess.run(
        [sys.executable, "-m", "micrograd_ko", "demo", "--quick", "--out", str(out)],
        check=False,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    return out / "index.html"


@pytest.fixture(scope="module")
def page(report, browser):
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    page.errors = []
    page.on("console", lambda m: page.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.on(
        "request",
        lambda r: page.errors.append(f"request {r.url}") if not r.url.startswith(("file:", "data:")) else None,
    )
    page.goto(report.as_uri())
    page.wait_for_load_state("load")
    page.evaluate("document.fonts.ready.then(() => true)")
    yield page
    page.close()


def test_report_loads_without_console_errors_or_requests(page):
    assert page.errors == []


def test_report_shows_every_figure_and_the_computation_graph(page):
    figures = page.locator("figure svg")
    assert figures.count() >= 5
    for i in range(figures.count()):
        box = figures.nth(i).bounding_box()
        assert box and box["width"] > 200 and box["height"] > 100
    graph = page.locator("#graph figure > svg")
    assert graph.locator("g.node").count() > 10  # the 2-2-1 network's values and operations
    assert "x1" in graph.text_content() and "손실" in graph.text_content()


def test_the_graph_fits_the_page_and_its_text_reads(page):
    figure = page.locator("#graph figure").bounding_box()
    graph = page.locator("#graph figure > svg").bounding_box()
    assert graph["width"] <= figure["width"] + 0.5  # no clipping, no sideways scrolling
    heights = page.locator("#graph figure > svg text").evaluate_all(
        "ts => ts.map(t => t.getBoundingClientRect().height)"
    )
    assert heights and min(h for h in heights if h > 0) >= 10


def test_report_summary_lists_each_claim_with_a_verdict(page):
    rows = page.locator("#summary tbody tr")
    assert rows.count() >= 10
    verdicts = {rows.nth(i).locator(".badge").text_content() for i in range(rows.count())}
    assert verdicts <= {"확인됨", "아님", "측정"} and "확인됨" in verdicts
    for name in ("vanishing", "deep-xor", "zero-init", "linear"):
        assert page.locator(f"section#{name} h2").count() == 1


def test_korean_text_is_drawn_with_the_embedded_font(page):
    loaded = page.evaluate("[...document.fonts].filter(f => f.family.includes('MicrogradKoReport')).map(f => f.status)")
    assert loaded and all(status == "loaded" for status in loaded)
    assert page.evaluate("document.fonts.check('16px MicrogradKoReport', '기울기 소실')")
    assert "기울기" in page.locator("#summary").text_content()


def test_screenshot(page, tmp_path):
    path = tmp_path / "report.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 50_000
    if os.environ.get("MICROGRAD_KO_SCREENSHOT"):  # keep a copy to look at
        shutil.copy(path, os.environ["MICROGRAD_KO_SCREENSHOT"])
