"""`python -m tests.e2e.screenshots` (`make screenshots`): the README's pictures, taken from a real build."""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from service.harness import served_process
from service.settings import Settings
from tests.corpus import REPO, SEEDS, run_indexer
from tests.e2e.browser import launch

OUT = REPO / "docs" / "img"
QUESTION = "Why did the Paris Commune fail?"
# (file, viewport, pixels per CSS pixel): a desktop window, and a phone at its usual density.
SHOTS = (("results.png", {"width": 1280, "height": 800}, 1), ("phone.png", {"width": 390, "height": 780}, 2))


def build(root: Path) -> Settings:
    """seeds/ indexed with the real model as `make index` does it, in a child process."""
    corpus = root / "corpus"
    shutil.copytree(SEEDS, corpus)
    settings = Settings(corpus_dir=corpus, index_dir=root / "index")
    started = time.perf_counter()
    done = run_indexer(["build", "--no-progress"], settings)
    if done.returncode != 0:
        sys.exit(f"the build failed:\n{done.stderr}")
    print(f"built the essay in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return settings


def shoot(browser: Any, url: str, name: str, viewport: dict[str, int], scale: int) -> Path:
    """The visible part of the page only (a screenful, not the whole page), as a PNG in docs/img/."""
    context = browser.new_context(viewport=viewport, device_scale_factor=scale, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(url)
        page.wait_for_selector("ol.results li.result")
        path = OUT / name
        page.screenshot(path=str(path), animations="disabled", caret="hide")
    finally:
        context.close()
    print(f"{path.relative_to(REPO)}: {path.stat().st_size / 1000:.0f} KB", file=sys.stderr)
    return path


def main() -> None:
    from playwright.sync_api import sync_playwright

    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="screenshots-") as tmp:
        settings = build(Path(tmp))
        with (
            served_process({**settings.as_env(), "SEMSEARCH_LOG_LEVEL": "warning"}) as served,
            sync_playwright() as p,
        ):
            browser = launch(p)
            try:
                url = f"{served.url}/?{urlencode({'q': QUESTION})}"
                for name, viewport, scale in SHOTS:
                    shoot(browser, url, name, viewport, scale)
            finally:
                browser.close()


if __name__ == "__main__":
    main()
