"""Accessible in headless Chromium: axe-core finds no serious or critical violation (text contrast at WCAG
AA among them) on the start, results, document, documents and error pages, and a question can be asked
and a result followed from the keyboard alone, the focus always visible."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from service.app import create_app
from service.harness import live_server
from service.settings import Settings
from tests.corpus import REPO, SEEDS, copy_seeds, index
from tests.e2e.browser import browser_page
from tests.fakes import FakeEmbedder

pytestmark = pytest.mark.browser
# Installed by `make test` from the npm registry (the Makefile's $(AXE) rule); never committed.
AXE = REPO / ".cache" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
QUESTION = "How long did the Paris Commune last?"
SERIOUS = {"serious", "critical"}
# What a visible focus is: the style's own ring (3 px), not the browser's default thin one.
FOCUS = """() => {
  const e = document.activeElement, s = getComputedStyle(e);
  return {tag: e.tagName.toLowerCase(), cls: e.className, id: e.id, visible: e.matches(':focus-visible'),
          outline: s.outlineStyle === 'none' ? 0 : parseFloat(s.outlineWidth), shadow: s.boxShadow};
}"""


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory, fake: FakeEmbedder) -> Iterator[str]:
    root = tmp_path_factory.mktemp("accessible")
    corpus = copy_seeds(root / "corpus")
    shutil.copy(SEEDS / ".examples.txt", corpus / ".examples.txt")
    shutil.copy(REPO / "tests" / "documents" / "essay.pdf", corpus / "essay.pdf")
    settings = Settings(corpus_dir=corpus, index_dir=root / "index", query_encoder="torch")
    index(settings, fake)
    with live_server(create_app(settings, fake)) as url:
        yield url


@pytest.fixture()
def axe_page() -> Iterator[Any]:
    """A page in which axe-core can run. The service's Content-Security-Policy forbids every script that
    is not its own (it has none), so this context alone bypasses the CSP to inject axe; the pages under
    test are unchanged, and every other browser test runs with the CSP enforced."""
    if not AXE.is_file():
        pytest.skip(f"axe-core is not installed at {AXE}: `make test` installs it from the npm registry")
    with browser_page(bypass_csp=True) as page:
        yield page


def open_in_context(page: Any, base: str) -> None:
    page.goto(f"{base}/?q={QUESTION}")
    page.locator("li.result a.context").first.click()
    page.wait_for_load_state()


PAGES: dict[str, Callable[[Any, str], Any]] = {
    "start": lambda page, base: page.goto(base + "/"),
    "results": lambda page, base: page.goto(f"{base}/?q={QUESTION}"),
    "results in the PDF": lambda page, base: page.goto(f"{base}/?q=the+soviets&doc=essay.pdf"),
    "document in context": open_in_context,
    "documents": lambda page, base: page.goto(base + "/documents?title=essay"),
    "error 404": lambda page, base: page.goto(base + "/documents/no-such-document.txt"),
    "error 422": lambda page, base: page.goto(base + "/?q=" + "a" * 1200),
}


@pytest.mark.parametrize("name", list(PAGES))
def test_axe_finds_no_serious_or_critical_violation(axe_page: Any, base: str, name: str) -> None:
    PAGES[name](axe_page, base)
    axe_page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
    assert axe_page.evaluate("typeof axe.run") == "function", "axe-core was not injected"
    report = axe_page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    found = [
        f"{v['impact']} {v['id']}: {v['help']} at {[n['target'] for n in v['nodes']]}"
        for v in report["violations"]
        if v["impact"] in SERIOUS or v["id"] == "color-contrast"
    ]
    assert found == [], "\n".join(found)
    ran = {r["id"] for r in report["passes"] + report["incomplete"] + report["violations"]}
    assert {"color-contrast", "label", "landmark-one-main", "region"} <= ran, "axe skipped a check"


def focused(page: Any) -> dict[str, Any]:
    """Where the focus is, asserting that it is shown: a ring of at least 2 px or a box shadow."""
    state: dict[str, Any] = page.evaluate(FOCUS)
    assert state["visible"] and (state["outline"] >= 2 or state["shadow"] != "none"), state
    return state


def tab_to(page: Any, selector: str, most: int = 12) -> None:
    """Press Tab until `selector` has the focus (each stop on the way showing it), at most `most` times."""
    for _ in range(most):
        page.keyboard.press("Tab")
        focused(page)
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"{selector} not reached in {most} presses of Tab")


def test_ask_and_follow_a_result_with_the_keyboard_alone(base: str) -> None:
    with browser_page() as page:
        page.goto(base + "/")
        tab_to(page, "#q", most=1)  # the search box is the first stop
        page.keyboard.type(QUESTION)
        page.keyboard.press("Enter")
        page.wait_for_selector("ol.results li.result")
        assert page.input_value("#q") == QUESTION
        tab_to(page, "li.result a.context")
        assert page.evaluate("document.activeElement.closest('li.result').id") == "r1"
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert "/documents/" in page.url and page.locator("mark.context").count() >= 1
        tab_to(page, "p.back a")  # and back to the same results
        with page.expect_navigation():
            page.keyboard.press("Enter")
        page.wait_for_selector("ol.results li.result")
        assert page.input_value("#q") == QUESTION


def test_the_whole_passage_opens_from_the_keyboard(base: str) -> None:
    with browser_page(java_script=False) as page:
        page.goto(f"{base}/?q={QUESTION}")
        tab_to(page, "li.result details.whole summary")
        assert not page.locator("li.result .passage").first.is_visible()
        page.keyboard.press("Enter")
        assert page.locator("li.result .passage").first.is_visible()
