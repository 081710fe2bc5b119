"""The web page in real headless Chromium: ask, read marked results, follow one into its document."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from generation.torch_model import SentenceTransformerEmbedder
from service.app import create_app
from service.harness import live_server
from service.settings import Settings
from tests.corpus import index
from tests.e2e.browser import browser_page

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def base(essay_settings: Settings, embedder: SentenceTransformerEmbedder) -> Iterator[str]:
    with live_server(create_app(essay_settings, embedder)) as url:
        yield url


@pytest.fixture()
def page(base: str) -> Iterator[Any]:
    with browser_page() as pg:
        pg.console_errors = []  # type: ignore[attr-defined]
        pg.dialogs = []  # type: ignore[attr-defined]
        pg.on("console", lambda m: m.type == "error" and pg.console_errors.append(m.text))
        pg.on("pageerror", lambda e: pg.console_errors.append(str(e)))

        def on_dialog(d: Any) -> None:
            pg.dialogs.append(d.message)
            d.dismiss()

        pg.on("dialog", on_dialog)
        yield pg


def test_ask_see_marked_results_and_follow_one_to_its_context(page: Any, base: str) -> None:
    page.goto(base + "/")
    page.fill("input[name=q]", "How long did the Paris Commune last?")
    page.press("input[name=q]", "Enter")
    page.wait_for_selector("ol.results li.result")
    results = page.locator("li.result")
    assert results.count() == 5
    first_three = " ".join(results.nth(i).inner_text() for i in range(3))
    assert "For 76 days" in first_three
    assert page.locator("li.result .snippet mark").count() == 5
    # A snippet around the answer sentence; the whole passage one click away, without JavaScript.
    snippet = results.first.locator(".snippet").inner_text()
    assert len(snippet) <= len(results.first.locator(".passage").text_content() or "") + 4
    assert page.locator("li.result").first.locator(".heading").inner_text().startswith("›")
    results.first.locator("details.whole summary").click()
    passage = results.first.locator(".passage").inner_text()
    answer = results.first.locator(".passage mark").inner_text()
    assert answer in snippet
    page.locator("li.result a.context").first.click()
    page.wait_for_load_state()
    assert "/documents/" in page.url and "#p" in page.url
    anchor = page.url.split("#", 1)[1]
    assert page.locator(f"[id='{anchor}']").count() == 1
    marked = " ".join(page.locator("mark.context").all_inner_texts())  # cut at passages and paragraphs
    assert " ".join(marked.split()) == " ".join(passage.split())
    # The thread is kept: the answer sentence marked inside the passage, the question in the search field
    # that stays in view at the passage, and a way back to the same results.
    assert " ".join(page.locator("mark.answer").all_inner_texts()).split() == answer.split()
    assert page.input_value("input[name=q]") == "How long did the Paris Commune last?"
    form = page.locator("form.search").bounding_box()
    assert form is not None and 0 <= form["y"] < 200, "the search form is in view at the passage"
    page.locator("p.back a").click()
    page.wait_for_selector("ol.results li.result")
    assert page.locator("li.result").first.inner_text() == results.first.inner_text()
    assert page.console_errors == []


def test_script_in_query_is_shown_as_text_and_never_runs(page: Any, base: str) -> None:
    payload = "<script>alert(1)</script>"
    page.goto(base + "/")
    page.fill("input[name=q]", payload)
    page.press("input[name=q]", "Enter")
    page.wait_for_selector("ol.results")
    assert page.input_value("input[name=q]") == payload
    assert payload in page.title()
    assert page.dialogs == []
    assert page.locator("script").count() == 0


def test_off_topic_question_says_nothing_answers_closely(page: Any, base: str) -> None:
    page.goto(base + "/?q=What+is+the+boiling+point+of+water%3F")
    assert "Nothing in the corpus answers this question closely" in page.locator(".notice").inner_text()
    assert page.locator("li.result").count() == 5
    page.goto(base + "/?q=How+long+did+the+Paris+Commune+last%3F")
    assert page.locator(".notice").count() == 0


def test_error_message_for_a_too_long_query(page: Any, base: str) -> None:
    response = page.goto(base + "/?q=" + "a" * 1200)
    assert response.status == 422
    assert "limit is 1000" in page.locator(".error").inner_text()


def test_html_in_a_document_stays_text_in_results_and_in_context(
    page: Any, tmp_path_factory: pytest.TempPathFactory, embedder: SentenceTransformerEmbedder
) -> None:
    from tests.corpus import copy_seeds

    root = tmp_path_factory.mktemp("xss")
    corpus = copy_seeds(root / "corpus")
    payload = "<img src=x onerror=alert(1)>"
    (corpus / "payload.txt").write_text(f"Injected\n\nThe quartermaster wrote {payload} in the ledger.\n")
    settings = Settings(corpus_dir=corpus, index_dir=root / "index")
    index(settings, embedder)
    with live_server(create_app(settings, embedder)) as url:
        response = page.goto(url + "/?q=what+did+the+quartermaster+write+in+the+ledger")
        assert "default-src 'self'" in response.headers["content-security-policy"]
        assert payload in page.locator("li.result").first.inner_text()
        page.locator("li.result a.context").first.click()
        page.wait_for_load_state()
        assert payload in page.locator("article").inner_text()
        assert page.locator("article img").count() == 0
    assert page.dialogs == [] and page.console_errors == []
