"""In real headless Chromium with JavaScript off: the start page says what can be asked about, a search
is limited to one document from the form, and a PDF passage opens at its page."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from service.app import create_app
from service.harness import live_server
from service.settings import Settings
from tests.corpus import copy_seeds, index
from tests.fakes import FakeEmbedder

pytestmark = pytest.mark.browser
DOCS = Path(__file__).resolve().parent.parent / "documents"


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory, fake: FakeEmbedder) -> Iterator[str]:
    root = tmp_path_factory.mktemp("collection")
    corpus = copy_seeds(root / "corpus")
    shutil.copy(DOCS.parent.parent / "seeds" / ".examples.txt", corpus / ".examples.txt")
    for name in ("essay.pdf", "essay.docx"):
        shutil.copy(DOCS / name, corpus / name)
    settings = Settings(corpus_dir=corpus, index_dir=root / "index", query_encoder="torch")
    index(settings, fake)
    with live_server(create_app(settings, fake)) as url:
        yield url


def test_the_start_page_lists_documents_and_examples(page: Any, base: str) -> None:
    page.goto(base + "/")
    rows = page.locator("table.documents tbody tr")
    assert rows.count() == 3
    formats = " ".join(rows.all_inner_texts())
    assert "PDF, 6 pages" in formats and "DOCX" in formats and "TXT" in formats
    page.locator("ul.examples a").first.click()
    page.wait_for_selector("ol.results li.result")
    assert page.locator("input[name=q]").input_value() == "How long did the Paris Commune last?"


def test_a_search_limited_to_the_pdf_from_the_form_shows_pages(page: Any, base: str) -> None:
    page.goto(base + "/")
    page.fill("input[name=q]", "the soviets and the party")
    page.select_option("select[name=doc]", "essay.pdf")
    page.click("form.search button")
    page.wait_for_selector("ol.results li.result")
    results = page.locator("li.result")
    assert results.count() == 5
    for i in range(results.count()):
        where = results.nth(i).locator(".where").inner_text()
        assert "essay.pdf" in where and ("p. " in where or "pp. " in where)
    assert page.locator("select[name=doc]").input_value() == "essay.pdf"  # the choice stays selected
    page.locator("li.result a.context").first.click()
    page.wait_for_load_state()
    assert "PDF, 6 pages" in page.locator("article.document").inner_text()
    assert "of the PDF" in page.locator("p.where-passage").inner_text()
    assert page.locator(".page-marker").count() == 6


@pytest.mark.parametrize("width", [390, 1280])
def test_the_page_fits_a_phone_and_a_desktop_without_sideways_scrolling(
    base: str, page: Any, width: int
) -> None:
    page.set_viewport_size({"width": width, "height": 800})
    for path in ("/", "/?q=How+long+did+the+Paris+Commune+last%3F", "/?q=soviets&doc=essay.pdf"):
        page.goto(base + path)
        assert page.evaluate("document.documentElement.scrollWidth") <= width, path
        button = page.locator("form.search button").bounding_box()
        assert button is not None and button["x"] >= 0 and button["x"] + button["width"] <= width, path
        field = page.locator("#q").bounding_box()
        assert field is not None and field["width"] >= min(200, width / 2), path
