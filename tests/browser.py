"""Headless Chromium through selenium, shared by the browser tests of the report and of the
web diary.

A test that needs the browser calls :func:`chromium` inside a fixture: it skips when
Chromium, chromedriver or selenium is missing, unless RUNBACK_REQUIRE_BROWSER=1 (CI sets it),
which makes their absence a failure.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from collections.abc import Iterator
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


def missing() -> str | None:
    """Why the browser cannot run here, or None."""
    if importlib.util.find_spec("selenium") is None:
        return "selenium is not installed"
    for path in (CHROMIUM, CHROMEDRIVER):
        if not (os.path.isfile(path) and os.access(path, os.X_OK)):
            return f"{path} not found"
    return None


def chromium(tmp_path_factory: Any, purpose: str, *, window: tuple[int, int] = (1200, 900),
             phone: bool = False) -> Iterator[Any]:
    """A headless Chromium driver (a generator for a fixture to ``yield from``).

    ``phone`` emulates a phone's screen of ``window`` CSS pixels (a desktop window cannot
    be that narrow). The browser's console log is kept for the tests to read.
    """
    reason = missing()
    if reason:
        if os.environ.get("RUNBACK_REQUIRE_BROWSER") == "1":
            pytest.fail(f"RUNBACK_REQUIRE_BROWSER=1 but {reason}")
        pytest.skip(f"no browser for the {purpose} test: {reason}")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    profile = tmp_path_factory.mktemp("chromium-profile")
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run", f"--user-data-dir={profile}",
                f"--window-size={window[0]},{window[1]}"):
        options.add_argument(arg)
    if phone:
        options.add_experimental_option("mobileEmulation", {"deviceMetrics": {
            "width": window[0], "height": window[1], "pixelRatio": 1.0}})
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)
