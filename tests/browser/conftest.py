"""Headless Chromium for the browser tests: Debian's chromium and chromedriver, driven by Selenium,
with nothing downloaded (Selenium Manager stays offline) and no network traffic of the browser's
own. ``make test`` installs the two packages when missing and sets $STYLEGAN_REQUIRE_BROWSER, so
there a missing browser is a failure; a plain ``pytest`` without them skips these tests."""
from __future__ import annotations

import os
import shutil

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
         "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--window-size=1400,1000")


def _browser_missing() -> str | None:
    for path in (CHROMIUM, CHROMEDRIVER):
        if not shutil.which(path):
            return f"{path} not found (Debian packages chromium and chromium-driver; make test installs them)"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install -e '.[test]')"
    return None


@pytest.fixture(scope="session")
def chrome(tmp_path_factory):
    missing = _browser_missing()
    if missing:
        if os.environ.get("STYLEGAN_REQUIRE_BROWSER"):
            pytest.fail(missing)
        pytest.skip(missing)
    os.environ["SE_OFFLINE"] = "true"   # Selenium Manager must not look for drivers online
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})   # console and failed loads
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(120)
    yield driver
    driver.quit()
