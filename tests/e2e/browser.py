"""Launching Debian's Chromium through Playwright for the page tests (never `playwright install`)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


def launch(playwright: Any) -> Any:
    """Headless Chromium that sends nothing anywhere but the pages it is pointed at."""
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)


@contextmanager
def browser_page(java_script: bool = True, bypass_csp: bool = False) -> Iterator[Any]:
    """A fresh page in its own headless Chromium, closed afterwards (`bypass_csp`: for injecting a
    test's own script, such as axe-core; the pages under test are unchanged)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = launch(p)
        try:
            yield browser.new_context(java_script_enabled=java_script, bypass_csp=bypass_csp).new_page()
        finally:
            browser.close()
