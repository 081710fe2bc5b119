"""Launching Debian's Chromium through Playwright for the page tests (never `playwright install`)."""

from __future__ import annotations

import shutil
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
