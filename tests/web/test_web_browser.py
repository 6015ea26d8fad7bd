"""The web diary in a real browser: headless Chromium through selenium, on a phone screen.

Skipped when Chromium, chromedriver or selenium is missing, unless RUNBACK_REQUIRE_BROWSER=1
(CI sets it), which makes their absence a failure (the same rule as the report's browser
test, whose way of finding the browser this reuses).
"""

from __future__ import annotations

import datetime as dt

import pytest

from runback.io.diary import read_diary
from runback.web import Athlete, ServeConfig, create_app
from tests.browser import chromium
from tests.web.helpers import HEADER, local_today, running

#: A phone's screen. [CSS px]
PHONE = (412, 915)


@pytest.fixture(scope="module")
def phone(tmp_path_factory):
    yield from chromium(tmp_path_factory, "web diary", window=PHONE, phone=True)


def tap(driver, selector: str) -> None:
    driver.find_element("css selector", selector).click()


def submit(driver) -> None:
    """Tap Save and wait for the page the server answers with."""
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    old = driver.find_element("tag name", "html")
    tap(driver, ".save button")
    WebDriverWait(driver, 30).until(expected_conditions.staleness_of(old))


def follow(driver, link_text: str) -> None:
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    old = driver.find_element("tag name", "html")
    driver.find_element("link text", link_text).click()
    WebDriverWait(driver, 30).until(expected_conditions.staleness_of(old))


def text(driver) -> str:
    return driver.find_element("css selector", "main").text


def test_log_correct_red_flag_and_a_pain_of_11(phone, tmp_path):
    diary = tmp_path / "pain_diary.csv"
    diary.write_text(HEADER)
    today, yesterday = local_today(), local_today() - dt.timedelta(days=1)
    with running(create_app(ServeConfig([Athlete("me", [], diary)]))) as base:
        phone.get(base + "/")
        # the whole form fits a phone's width, the pain buttons are big enough to tap
        assert phone.execute_script("return window.innerWidth") == PHONE[0]
        assert phone.execute_script("return document.documentElement.scrollWidth") <= PHONE[0]
        size = phone.find_element("css selector", 'label[for="pain-3"]').size
        assert size["width"] >= 44 and size["height"] >= 44
        assert phone.execute_script("return document.scripts.length") == 0

        # log today
        tap(phone, 'label[for="pain-3"]')
        tap(phone, 'label[for="location-lower"]')
        tap(phone, 'label[for="interventions-stretching"]')
        phone.find_element("id", "notes").send_keys("<script>alert(1)</script> stiff")
        submit(phone)
        assert "Saved to the diary" in text(phone)
        assert "<script>alert(1)</script> stiff" in phone.find_element("id", "notes").text
        pain = read_diary(diary).pain
        assert list(pain["pain"]) == [3] and pain["interventions"][0] == "stretching"

        # correct it: the day keeps one entry, the latest
        tap(phone, 'label[for="pain-1"]')
        submit(phone)
        assert "Corrected" in text(phone)
        pain = read_diary(diary).pain
        assert list(pain["pain"]) == [1] and str(pain["date"][0].date()) == str(today)

        # yesterday, with a red flag: its advice comes first on the page
        follow(phone, "Yesterday")
        tap(phone, 'label[for="pain-6"]')
        tap(phone, 'label[for="red_flags-leg_weakness"]')
        submit(phone)
        alert = phone.find_element("css selector", "section.red-flags")
        assert alert.is_displayed() and "Seek emergency care today" in alert.text
        assert alert.location["y"] < phone.find_element("id", "entry").location["y"]
        pain = read_diary(diary).pain
        assert [str(d.date()) for d in pain["date"]] == [str(yesterday), str(today)]

        # a pain of 11, sent as a crafted form would send it: a message, nothing written
        before = diary.read_bytes()
        phone.get(base + "/")
        phone.execute_script("document.getElementById('pain-10').value = '11'")
        tap(phone, 'label[for="pain-10"]')
        submit(phone)
        problem = phone.find_element("css selector", "#field-pain .problem")
        assert problem.is_displayed() and "pain '11' is outside 0-10" in problem.text
        assert diary.read_bytes() == before
        logged = [e for e in phone.get_log("browser") if e["level"] == "SEVERE"]
        assert [e["source"] for e in logged] == ["network"]    # the 422 answer, nothing else
        assert "422" in logged[0]["message"]

        # the diary page lists both days and the warning sign
        follow(phone, "Diary")
        assert "leg weakness" in text(phone) and "Seek emergency care today" in text(phone)
        severe = [e for e in phone.get_log("browser") if e["level"] == "SEVERE"]
        assert severe == []                                     # no CSP violation either

        # the report, sandboxed by its policy, still shows its style and charts
        follow(phone, "Report")
        h1 = phone.find_element("css selector", "h1")
        assert h1.is_displayed() and h1.text == "Training and back pain report"
        # the inline style applies (a browser's default body margin is 8px)
        assert phone.execute_script("return getComputedStyle(document.body).margin") != "8px"
        flags = phone.find_element("css selector", "section.red-flags").text
        assert "leg weakness" in flags.lower()
        assert phone.execute_script("return document.scripts.length") == 0
        severe = [e for e in phone.get_log("browser") if e["level"] == "SEVERE"]
        assert severe == []
