"""In real headless Chromium with JavaScript off, on a real manual (libtasn1's gtk-doc reference): code
and commands are set in a fixed-width face in results and in context, a code block keeps its lines, a
table of parameters is a table with its rows, and headings look like headings, on a phone too."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from service.app import create_app
from service.harness import live_server
from service.settings import Settings
from tests.corpus import index
from tests.fakes import FakeEmbedder

MANUAL = Path("/usr/share/gtk-doc/html/libtasn1/libtasn1-libtasn1.html")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not MANUAL.is_file(), reason="needs Debian's libtasn1-doc (`make test` installs it)"),
]
DOCUMENT = "/documents/" + MANUAL.name


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory, fake: FakeEmbedder) -> Iterator[str]:
    root = tmp_path_factory.mktemp("manual")
    (root / "corpus").mkdir()
    shutil.copy(MANUAL, root / "corpus" / MANUAL.name)
    settings = Settings(corpus_dir=root / "corpus", index_dir=root / "index", query_encoder="torch")
    index(settings, fake)
    with live_server(create_app(settings, fake)) as url:
        yield url


def monospace(locator: Any) -> bool:
    return "mono" in locator.evaluate("e => getComputedStyle(e).fontFamily").lower()


def test_commands_in_results_are_fixed_width(page: Any, base: str) -> None:
    page.goto(base + "/?q=asn1_der_coding+DER+encoding&k=10")
    code = page.locator("li.result .snippet code")
    assert code.count() >= 1
    assert monospace(code.first)
    prose = page.locator("li.result .snippet").first
    assert not monospace(prose)


def test_the_manual_in_context_keeps_its_code_blocks_tables_and_headings(page: Any, base: str) -> None:
    page.goto(base + DOCUMENT)
    prototype = page.locator("pre", has_text="asn1_parser2tree (const char")
    assert prototype.count() == 1 and monospace(prototype)
    assert "\n" in prototype.inner_text()  # one parameter per line, as printed
    parameters = page.locator("table.data", has_text="inputFileName").first
    rows = parameters.locator("tr")
    assert rows.count() >= 3
    # Name, description (and gtk-doc's annotations column, empty): cells in columns, not one line each.
    cells = {rows.nth(i).locator("td").count() for i in range(rows.count())}
    assert len(cells) == 1 and cells.pop() >= 2
    heading = page.locator("h2.section", has_text="asn1_parser2tree").first
    body = page.locator(".document .text p").first
    size = "e => parseFloat(getComputedStyle(e).fontSize)"
    assert heading.evaluate(size) > body.evaluate(size)
    assert page.locator(".text code").count() > 50


def test_on_a_phone_the_manual_does_not_scroll_sideways(page: Any, base: str) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(base + DOCUMENT)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    for element in (page.locator("pre").first, page.locator("table.data").first):
        box = element.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390


def test_text_repeated_in_the_same_document_is_one_result_that_links_to_the_repeat(
    page: Any, base: str
) -> None:
    page.goto(base + "/?q=asn1_der_coding+DER+encoding&k=10")
    repeats = page.locator("p.also a", has_text="elsewhere in this document")
    assert repeats.count() >= 1
    assert page.locator("p.also .docid").count() == 0  # no other document: no file name to tell apart
    repeats.first.click()
    page.wait_for_load_state()
    assert DOCUMENT in page.url and page.locator("mark.context").count() >= 1
