"""The written reports in a real browser: headless Chromium through selenium.

Skipped when Chromium, chromedriver or selenium is missing, unless RUNBACK_REQUIRE_BROWSER=1
(CI sets it), which makes their absence a failure.
"""

from __future__ import annotations

import pytest

from runback.report import render_team
from tests.browser import chromium
from tests.report.helpers import load, write_athlete


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    yield from chromium(tmp_path_factory, "report")


def open_page(driver, path):
    driver.get(path.resolve().as_uri())
    driver.get_log("browser")            # start each page with an empty log
    driver.refresh()
    return driver


def rendered(driver, selector: str) -> list[dict]:
    return driver.execute_script(
        "return Array.from(document.querySelectorAll(arguments[0])).map(e => {"
        " const r = e.getBoundingClientRect(); return {w: r.width, h: r.height}; });",
        selector)


def check_page(driver, *, title: str, charts: int):
    severe = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
    assert severe == []
    assert driver.execute_script("return performance.getEntriesByType('resource').length") == 0
    assert driver.title == title
    figures = rendered(driver, "figure.chart svg, figure.chart img")
    assert len(figures) == charts
    assert all(f["w"] > 100 and f["h"] > 50 for f in figures)
    h1 = driver.find_element("css selector", "h1")
    assert h1.is_displayed() and h1.text == title
    disclaimer = driver.find_element("css selector", "section.disclaimer")
    assert disclaimer.is_displayed() and "not medical advice" in disclaimer.text.lower()


def test_sample_report_in_the_browser(browser, sample_report):
    open_page(browser, sample_report)
    check_page(browser, title="Training and back pain report", charts=7)


def test_hostile_text_stays_text(browser, hostile_report):
    open_page(browser, hostile_report)
    check_page(browser, title="Training and back pain report", charts=7)
    assert browser.execute_script("return document.querySelectorAll('script').length") == 0
    assert browser.execute_script("return document.querySelectorAll('img[onerror]').length") == 0
    assert browser.execute_script("return document.querySelectorAll('b[onmouseover]').length") == 0
    notes = browser.find_element("css selector", "section.red-flags").text
    assert "<script>alert(1)</script>" in notes          # shown as text, not run
    # an alert would leave a dialog open and make this call fail
    assert browser.execute_script("return 1") == 1


def test_team_page_in_the_browser(browser, tmp_path):
    logs = [(name, load(write_athlete(tmp_path / name, km=km, diary=diary), tmp_path / "c"))
            for name, km, diary in (("ana", 6.0, True), ("ben", 11.0, False))]
    path = tmp_path / "team.html"
    path.write_text(render_team(logs), encoding="utf-8")
    open_page(browser, path)
    check_page(browser, title="Team report", charts=7 + 4)
    sparks = rendered(browser, "td.spark svg")
    assert len(sparks) == 2 and all(s["w"] > 50 and s["h"] > 5 for s in sparks)
    link = browser.find_element("css selector", 'a[href="#athlete-ben"]')
    link.click()
    assert browser.execute_script("return location.hash") == "#athlete-ben"
    top = browser.execute_script(
        "return document.getElementById('athlete-ben').getBoundingClientRect().top")
    assert abs(top) < 5                  # the link scrolled to Ben's section
