"""In headless Chromium at a phone's 390 px and a desktop's 1280 px, on libraries of 1, 16 and 3,001
documents: every page fits without sideways scrolling, the search form wraps on the phone and its button
stays on screen (fake embedder: this is about layout, the real model is tested elsewhere)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from service.app import create_app
from service.harness import live_server
from service.settings import Settings
from tests.corpus import SEEDS, copy_seeds, index
from tests.e2e.browser import browser_page
from tests.fakes import FakeEmbedder

pytestmark = pytest.mark.browser
QUESTION = "How long did the Paris Commune last?"
WIDTHS = (390, 1280)
# A file name with no place to break, and a title longer than any phone line.
LONG_NAME = "minutes-of-the-central-committee-of-the-national-guard-" * 3


def library(root: Path, size: int) -> Path:
    """The essay and `size - 1` short reports, some with unbreakable file names and long titles."""
    corpus = copy_seeds(root)
    shutil.copy(SEEDS / ".examples.txt", corpus / ".examples.txt")
    for i in range(1, size):
        name = f"{LONG_NAME}{i:04}.txt" if i % 7 == 0 else f"report-{i:04}.txt"
        title = f"Report {i} of the council of the arrondissement, " * (3 if i % 5 == 0 else 1)
        (corpus / name).write_text(
            f"{title}\n\nThe council of district {i} met to discuss bread and rents.\n"
        )
    return corpus


@pytest.fixture(scope="module", params=[1, 16, 3001], ids=lambda n: f"{n}-documents")
def served(request: Any, tmp_path_factory: pytest.TempPathFactory, fake: FakeEmbedder) -> Iterator[str]:
    root = tmp_path_factory.mktemp(f"library-{request.param}")
    settings = Settings(
        corpus_dir=library(root / "corpus", request.param), index_dir=root / "index", query_encoder="torch"
    )
    index(settings, fake)
    with live_server(create_app(settings, fake)) as url:
        yield url


def assert_fits(page: Any, width: int, where: str) -> None:
    """No sideways scrolling; the question field usable; the form's button wholly on screen."""
    assert page.evaluate("document.documentElement.scrollWidth") <= width, where
    height = page.viewport_size["height"]
    field = page.locator("#q").bounding_box()
    button = page.locator("form.search button").bounding_box()
    assert field is not None and button is not None, where
    assert field["width"] >= min(240, width / 2), where
    assert button["x"] >= 0 and button["x"] + button["width"] <= width, where
    assert button["y"] >= 0 and button["y"] + button["height"] <= height, where
    filtered = page.locator("#doc").count() == 1
    if width < 500 and filtered:  # the question takes its own line, the filter and the button the next
        assert button["y"] >= field["y"] + field["height"], where
    if width >= 1000:  # room enough: one line
        assert abs(button["y"] - field["y"]) < field["height"], where


def visit(page: Any, url: str, width: int) -> None:
    page.goto(url)
    assert_fits(page, width, url)


@pytest.mark.parametrize("width", WIDTHS)
def test_every_page_fits_a_phone_and_a_desktop_at_any_library_size(served: str, width: int) -> None:
    with browser_page(java_script=False) as page:
        page.set_viewport_size({"width": width, "height": 800})
        visit(page, served + "/", width)
        assert page.locator("table.documents tbody tr").count() >= 1
        visit(page, f"{served}/?q={QUESTION}", width)
        assert page.locator("li.result").count() >= 1
        visit(page, f"{served}/?q={QUESTION}&doc=paris-commune-in-perspective.txt", width)
        assert page.locator("li.result").count() >= 1
        page.locator("details.whole summary").first.click()  # the whole passage opened fits too
        assert_fits(page, width, "whole passage")
        page.locator("li.result a.context").first.click()
        page.wait_for_load_state()
        # Scrolled to the passage: the sticky form, and its button, are still on screen.
        assert page.evaluate("window.scrollY") > 0 and page.locator("mark.context").count() >= 1
        assert_fits(page, width, page.url)
        visit(page, served + "/documents", width)
        find = page.locator("form.find button").bounding_box()
        assert find is not None and find["x"] + find["width"] <= width
        visit(page, served + "/documents?title=minutes", width)
        visit(page, f"{served}/documents/{LONG_NAME}0007.txt", width)
        visit(page, served + "/documents/no-such-document.txt", width)


def test_the_start_page_and_the_documents_page_stay_under_300_kb_at_any_library_size(served: str) -> None:
    home, documents = httpx.get(served + "/"), httpx.get(served + "/documents")
    assert home.status_code == documents.status_code == 200
    assert len(home.content) < 300_000 and len(documents.content) < 300_000, len(home.content)
