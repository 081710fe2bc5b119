"""What the service answers with the real model: the right passages for the essay's questions, in every
mode; off-topic questions flagged; the start-up path `make run` takes (exported ONNX encoder, no torch),
and its fall-back when the int8 file is damaged."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from generation.onnx_model import INT8_NAME
from generation.torch_model import SentenceTransformerEmbedder
from query.config import Ranking
from service.app import create_app
from service.harness import live_server
from service.settings import Settings


@pytest.fixture(scope="module")
def base(essay_settings: Settings, embedder: SentenceTransformerEmbedder) -> Iterator[str]:
    with live_server(create_app(essay_settings, embedder)) as url:
        yield url


def test_the_answer_comes_first(base: str) -> None:
    body = httpx.get(f"{base}/api/search", params={"q": "How long did the Paris Commune last", "k": 5}).json()
    assert any("For 76 days" in res["text"] for res in body["results"][:3])
    assert body["low_confidence"] is False
    assert body["unanswerable_score"] <= Ranking().low_confidence_above


@pytest.mark.parametrize("mode", ["dense", "lexical", "hybrid"])
def test_every_mode_finds_versailles(base: str, mode: str) -> None:
    r = httpx.get(
        f"{base}/api/search", params={"q": "Who attacked Paris to crush the Commune?", "mode": mode}
    )
    assert r.status_code == 200 and r.json()["mode"] == mode
    assert "Versailles" in r.json()["results"][0]["text"]


def test_off_topic_question_is_flagged_but_still_answered(base: str) -> None:
    body = httpx.get(f"{base}/api/search", params={"q": "What is the boiling point of water?"}).json()
    assert body["low_confidence"] is True and len(body["results"]) == 5
    assert body["unanswerable_score"] > Ranking().low_confidence_above


def test_the_unanswerable_score_orders_questions_for_a_caller_s_own_threshold(base: str) -> None:
    """A caller who wants more or fewer flags compares `unanswerable_score` with a threshold of its own:
    questions the essay answers score below those it does not, near its subject or far from it."""

    def score(q: str) -> float:
        return float(httpx.get(f"{base}/api/search", params={"q": q}).json()["unanswerable_score"])

    answered = [score(q) for q in ("How long did the Paris Commune last?", "Who wrote the essay?")]
    unanswered = [score(q) for q in ("Who led the Taiping Rebellion?", "How do I bake sourdough bread?")]
    assert max(answered) < min(unanswered)


def test_service_embeds_queries_with_the_onnx_export(cli_index: tuple[Settings, str]) -> None:
    """The real start-up path: `python -m indexer build` exports the encoder, the app loads it (no torch)."""
    settings, _ = cli_index
    app = create_app(settings)
    with live_server(app, wait_ready=False) as url:
        # The first connection the server accepts is already answered by a loaded model and index: a
        # worker process that is still starting never takes requests (it would answer them 503).
        assert httpx.get(f"{url}/readyz").status_code == 200
        body = httpx.get(f"{url}/api/search", params={"q": "How long did the Paris Commune last"}).json()
        assert any("For 76 days" in r["text"] for r in body["results"][:3])
        assert httpx.get(f"{url}/readyz").json()["query_encoder"] == f"onnxruntime {INT8_NAME}"
    for choice, label in (("onnx", "onnxruntime model.onnx"), ("torch", "sentence-transformers (PyTorch)")):
        with live_server(create_app(settings.replace(query_encoder=choice))) as url:
            assert httpx.get(f"{url}/readyz").json()["query_encoder"] == label


def test_a_damaged_int8_encoder_falls_back_and_readyz_says_so(
    cli_index: tuple[Settings, str], tmp_path: Path
) -> None:
    settings, _ = cli_index
    shutil.copytree(settings.index_dir, tmp_path / "index")
    copy = settings.replace(index_dir=tmp_path / "index")
    (int8,) = (tmp_path / "index" / "models").glob(f"*/{INT8_NAME}")
    data = bytearray(int8.read_bytes())
    data[len(data) // 2] ^= 0x01
    int8.write_bytes(bytes(data))
    with live_server(create_app(copy)) as url:
        ready = httpx.get(f"{url}/readyz").json()
        assert ready["status"] == "ready" and ready["query_encoder"] == "onnxruntime model.onnx"
        assert "checksum" in ready["query_encoders_refused"]["int8"]
        body = httpx.get(f"{url}/api/search", params={"q": "How long did the Paris Commune last"}).json()
        assert any("For 76 days" in r["text"] for r in body["results"][:3])
