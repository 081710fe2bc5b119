"""Every answer, error or not, carries each security header exactly once; an oversized body gets a readable
413 even from a client that sends it all first; a browser gets pages for errors outside the API."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator, Sequence
from urllib.error import HTTPError

import httpx
import numpy as np
import pytest

from service.app import create_app
from service.harness import live_server
from service.middleware import SECURITY_HEADERS
from service.settings import Settings
from tests.fakes import FakeEmbedder

EXPLODE = "explode please"


class ExplodingEmbedder(FakeEmbedder):
    """Raises on one query: stands for any bug behind a route (the answer must still be a clean 500)."""

    def embed(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        if EXPLODE in texts:
            raise RuntimeError("a bug deep inside")
        return super().embed(texts, batch_size)


@pytest.fixture(scope="module")
def base(fake_essay_settings: Settings) -> Iterator[str]:
    with live_server(create_app(fake_essay_settings, ExplodingEmbedder())) as url:
        yield url


def _each_header_once(headers: httpx.Headers) -> None:
    for name, value in SECURITY_HEADERS:
        assert headers.get_list(name.decode()) == [value.decode()], name


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status"),
    [
        ("GET", "/api/search?q=soviets", {}, 200),
        ("GET", "/", {}, 200),
        ("GET", "/no/such/route", {}, 404),
        ("GET", "/documents/unknown.txt", {"headers": {"accept": "text/html"}}, 404),
        ("GET", "/api/search?q=", {}, 422),
        ("POST", "/api/search", {"json": {"q": "x" * 20_000}}, 413),
        ("POST", "/api/search", {"content": b"x", "headers": {"content-type": "text/plain"}}, 415),
        ("GET", f"/api/search?q={EXPLODE}", {}, 500),
        ("GET", "/static/style.css", {}, 200),
    ],
)
def test_every_answer_carries_each_security_header_once(
    base: str, method: str, path: str, kwargs: dict, status: int
) -> None:
    r = httpx.request(method, base + path, **kwargs)
    assert r.status_code == status
    _each_header_once(r.headers)


def test_an_unexpected_error_is_a_500_that_says_nothing_internal(base: str) -> None:
    r = httpx.get(f"{base}/api/search", params={"q": EXPLODE})
    assert r.status_code == 500 and r.json() == {"detail": "internal error"}
    assert "deep inside" not in r.text
    assert httpx.get(f"{base}/api/search", params={"q": "soviets"}).status_code == 200  # still serving


def test_a_client_that_sends_5_mb_before_reading_gets_the_413(base: str) -> None:
    body = json.dumps({"q": "x" * 5_000_000}).encode()
    request = urllib.request.Request(
        f"{base}/api/search", data=body, headers={"Content-Type": "application/json"}, method="POST"
    )
    with pytest.raises(HTTPError) as answer:
        urllib.request.urlopen(request, timeout=30)
    assert answer.value.code == 413
    assert "over the limit" in json.loads(answer.value.read())["detail"]


def test_a_streamed_oversized_body_gets_the_413(base: str) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"q": "'
        for _ in range(64):
            yield b"x" * 65536
        yield b'"}'

    r = httpx.post(f"{base}/api/search", content=chunks(), headers={"content-type": "application/json"})
    assert r.status_code == 413 and "over the limit" in r.json()["detail"]


def test_a_browser_gets_an_html_404_for_an_unknown_document(base: str) -> None:
    r = httpx.get(f"{base}/documents/unknown.txt", headers={"accept": "text/html,application/xhtml+xml"})
    assert r.status_code == 404 and r.headers["content-type"].startswith("text/html")
    assert "no such document in the index" in r.text and '<a href="/">' in r.text
    api = httpx.get(f"{base}/documents/unknown.txt", headers={"accept": "application/json"})
    assert api.status_code == 404 and api.json() == {"detail": "no such document in the index"}


def test_the_score_tooltip_says_what_the_number_is(base: str) -> None:
    page = httpx.get(f"{base}/", params={"q": "soviets"}).text
    assert 'title="relevance: 0.75 × cosine similarity + 0.25 × BM25' in page
    assert 'title="cosine similarity"' not in page
