"""The JSON API contract over real HTTP on 127.0.0.1 (the real app and uvicorn, the fake embedder): the
answer's shape, every validation error, readiness, metrics. What the answers say is tested with the real
model in test_answers.py."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from service.app import create_app
from service.harness import live_server
from service.settings import Settings
from tests.corpus import ESSAY
from tests.fakes import FakeEmbedder


@pytest.fixture(scope="module")
def base(fake_essay_settings: Settings, fake: FakeEmbedder) -> Iterator[str]:
    with live_server(create_app(fake_essay_settings, fake)) as url:
        yield url


def test_search_answers_the_contract(base: str, fake_essay_settings: Settings) -> None:
    r = httpx.get(f"{base}/api/search", params={"q": "How long did the Paris Commune last", "k": 5})
    assert r.status_code == 200
    body = r.json()
    assert body["query"] == "How long did the Paris Commune last" and body["k"] == 5
    # Whether it is flagged depends on the model (the fake's cosines are not the model's): tested with
    # the real model in tests/query/test_searcher.py; here only its type.
    assert body["mode"] == "hybrid" and isinstance(body["low_confidence"], bool)
    threshold = fake_essay_settings.ranking().low_confidence_above
    assert body["low_confidence"] == (body["unanswerable_score"] > threshold)
    assert set(body["index"]) == {"generation", "model", "passages"}
    assert body["took_ms"] >= 0 and len(body["results"]) == 5
    document = (fake_essay_settings.corpus_dir / ESSAY).read_text()
    scores = [res["score"] for res in body["results"]]
    assert scores == sorted(scores, reverse=True)
    for rank, res in enumerate(body["results"], 1):
        assert res["rank"] == rank and res["document"] == ESSAY
        assert document[res["start"] : res["end"]] == res["text"]
        hl = res["highlight"]
        assert 0 <= hl["start"] < hl["end"] <= len(res["text"])
        assert {"passage_id", "title", "heading", "paragraph", "footnote", "footnotes", "scores"} <= set(res)
        assert res["title"].startswith("The Paris Commune in Perspective")


def test_post_search_equals_get(base: str) -> None:
    q = "What happened to rents during the Commune?"
    got = httpx.get(f"{base}/api/search", params={"q": q, "k": 3}).json()
    posted = httpx.post(f"{base}/api/search", json={"q": q, "k": 3}).json()
    assert [r["passage_id"] for r in posted["results"]] == [r["passage_id"] for r in got["results"]]


def test_doc_filter(base: str) -> None:
    r = httpx.get(f"{base}/api/search", params={"q": "soviets", "k": 50, "doc": ESSAY})
    assert r.status_code == 200 and all(res["document"] == ESSAY for res in r.json()["results"])
    r = httpx.get(f"{base}/api/search", params={"q": "soviets", "doc": "other.txt"})
    assert r.status_code == 422 and "not a document" in r.json()["detail"]


BAD_GET = [
    ({}, "q: Field required"),
    ({"q": ""}, "must not be empty"),
    ({"q": "   \t "}, "must not be empty"),
    ({"q": "x" * 1001}, "limit is 1000"),
    ({"q": "a\x00b"}, "control characters"),
    ({"q": "ok", "k": "0"}, "between 1 and 50"),
    ({"q": "ok", "k": "-1"}, "between 1 and 50"),
    ({"q": "ok", "k": "51"}, "between 1 and 50"),
    ({"q": "ok", "k": str(10**12)}, "between 1 and 50"),
    ({"q": "ok", "k": "abc"}, "k: Input should be a valid integer"),
    ({"q": "ok", "mode": "fuzzy"}, "mode: Input should be 'dense', 'lexical' or 'hybrid'"),
]


@pytest.mark.parametrize("mode", ["dense", "lexical", "hybrid"])
def test_every_mode_answers(base: str, mode: str) -> None:
    r = httpx.get(
        f"{base}/api/search", params={"q": "Who attacked Paris to crush the Commune?", "mode": mode}
    )
    assert r.status_code == 200 and r.json()["mode"] == mode and r.json()["results"]


@pytest.mark.parametrize(("params", "message"), BAD_GET)
def test_get_validation_errors(base: str, params: dict[str, str], message: str) -> None:
    r = httpx.get(f"{base}/api/search", params=params)
    assert r.status_code == 422
    assert message in r.json()["detail"]


def test_invalid_percent_encoding_is_rejected(base: str) -> None:
    r = httpx.get(f"{base}/api/search?q=%ED%A0%80abc")
    assert r.status_code == 422 and "UTF-8" in r.json()["detail"]


BAD_POST = [
    ({"content": b'{"q": "x"}', "headers": {"content-type": "text/plain"}}, 415, "application/json"),
    ({"content": b'{"q": ', "headers": {"content-type": "application/json"}}, 422, "not valid JSON"),
    ({"json": ["q"]}, 422, "expected"),
    ({"json": {"q": 5}}, 422, "q: Input should be a valid string"),
    ({"json": {"q": "ok", "k": "5"}}, 422, "k: Input should be a valid integer"),
    ({"json": {"q": "ok", "extra": 1}}, 422, "extra"),
    ({"json": {"q": "x" * 20_000}}, 413, "limit"),
    ({"content": b'{"q": "\\ud800"}', "headers": {"content-type": "application/json"}}, 422, "surrogate"),
]


@pytest.mark.parametrize(("kwargs", "status", "message"), BAD_POST)
def test_post_validation_errors(base: str, kwargs: dict, status: int, message: str) -> None:
    r = httpx.post(f"{base}/api/search", **kwargs)
    assert r.status_code == status
    assert message in r.json()["detail"]


def test_health_readiness_metrics_and_headers(base: str) -> None:
    assert httpx.get(f"{base}/healthz").status_code == 200
    ready = httpx.get(f"{base}/readyz")
    assert ready.status_code == 200 and ready.json()["status"] == "ready"
    httpx.get(f"{base}/api/search", params={"q": "party"})
    metrics = httpx.get(f"{base}/metrics")
    assert metrics.status_code == 200
    assert 'semsearch_http_requests_total{route="/api/search",status="200"}' in metrics.text
    assert "semsearch_index_passages" in metrics.text
    assert metrics.headers["x-content-type-options"] == "nosniff"
    assert "default-src 'self'" in metrics.headers["content-security-policy"]


def test_not_ready_without_an_index(tmp_path: Path, fake: FakeEmbedder) -> None:
    settings = Settings(corpus_dir=tmp_path, index_dir=tmp_path / "index", reload_interval=0.1)
    with live_server(create_app(settings, fake), wait_ready=False) as url:
        ready = httpx.get(f"{url}/readyz")
        assert ready.status_code == 503 and "no published generation" in ready.json()["error"]
        r = httpx.get(f"{url}/api/search", params={"q": "anything"})
        assert r.status_code == 503 and "not ready" in r.json()["detail"]
        assert httpx.get(f"{url}/healthz").status_code == 200


def test_documents_route_serves_only_indexed_documents(base: str) -> None:
    assert httpx.get(f"{base}/documents/{ESSAY}").status_code == 200
    for path in [
        "/documents/..%2F..%2Fetc%2Fpasswd",
        "/documents/%2Fetc%2Fpasswd",
        "/documents/..%5C..%5Cx.txt",
    ]:
        r = httpx.get(base + path)
        assert r.status_code == 404, path


def test_page_reports_bad_input_as_a_page(base: str) -> None:
    for query, message in [
        ("?q=soviets&k=abc", "whole number"),
        ("?q=soviets&k=99", "between 1 and 50"),
        ("?q=%20", "must not be empty"),
    ]:
        r = httpx.get(base + "/" + query)
        assert r.status_code == 422 and r.headers["content-type"].startswith("text/html")
        assert message in r.text


def test_results_come_in_pages_and_say_whether_more_exist(base: str) -> None:
    question = {"q": "the soviets and the party"}
    whole = httpx.get(f"{base}/api/search", params={**question, "k": 9}).json()
    first = httpx.get(f"{base}/api/search", params={**question, "k": 3}).json()
    second = httpx.get(f"{base}/api/search", params={**question, "k": 3, "offset": 3}).json()
    assert first["offset"] == 0 and second["offset"] == 3 and first["more"] and second["more"]
    assert [r["rank"] for r in second["results"]] == [4, 5, 6]
    pages = [r["passage_id"] for r in first["results"] + second["results"]]
    assert pages == [r["passage_id"] for r in whole["results"][:6]], "page two continues page one"
    posted = httpx.post(f"{base}/api/search", json={**question, "k": 3, "offset": 3}).json()
    assert [r["passage_id"] for r in posted["results"]] == pages[3:]
    last = httpx.get(f"{base}/api/search", params={**question, "k": 50, "offset": 20}).json()
    assert last["more"] is False and len(last["results"]) < 50
    for bad in ("-1", "201", "x"):
        r = httpx.get(f"{base}/api/search", params={**question, "offset": bad})
        assert r.status_code == 422 and "offset" in r.json()["detail"]
    page = httpx.get(f"{base}/", params=question).text
    assert 'href="/?q=the+soviets+and+the+party&amp;offset=5" rel="next">More results</a>' in page
    next_page = httpx.get(f"{base}/", params={**question, "offset": "5"}).text
    assert '<ol class="results" start="6">' in next_page
