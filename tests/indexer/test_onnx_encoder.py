"""The ONNX query encoder reproduces sentence-transformers, so generations and queries share one model."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from indexer.embedding import SentenceTransformerEmbedder
from indexer.evaluation import load_questions
from indexer.onnx_encoder import OnnxEmbedder, QueryCache, export_onnx, quantize_onnx
from indexer.search import Searcher
from indexer.store import Generation
from tests.support import SHARED, FakeEmbedder

QUESTIONS = ["How long did the Paris Commune last?", "K. Venu", "What did Lenin say about cogwheels?"]


@pytest.fixture(scope="module")
def onnx_file(tmp_path_factory: pytest.TempPathFactory, embedder: SentenceTransformerEmbedder) -> Path:
    return export_onnx(embedder.info, tmp_path_factory.mktemp("onnx") / "model.onnx", embedder)


@pytest.fixture(scope="module")
def onnx(onnx_file: Path, embedder: SentenceTransformerEmbedder) -> OnnxEmbedder:
    return OnnxEmbedder(embedder.info, onnx_file)


@pytest.fixture(scope="module")
def int8(onnx_file: Path, embedder: SentenceTransformerEmbedder) -> OnnxEmbedder:
    path = quantize_onnx(embedder.info, onnx_file, onnx_file.with_name("model.int8.onnx"), embedder)
    return OnnxEmbedder(embedder.info, path)


def test_onnx_vectors_equal_sentence_transformers(
    onnx: OnnxEmbedder, embedder: SentenceTransformerEmbedder
) -> None:
    dev = SHARED / "eval" / "seed-dev.jsonl"
    texts = QUESTIONS + ([q.question for q in load_questions(dev)] if dev.exists() else [])
    texts.append("word " * 400)  # longer than the model's limit: both truncate at max_seq_length
    got, want = onnx.embed(texts), embedder.embed(texts)
    assert got.shape == want.shape
    assert float((got * want).sum(axis=1).min()) > 0.9999
    np.testing.assert_allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)


def test_same_answers_with_either_encoder(
    onnx: OnnxEmbedder, embedder: SentenceTransformerEmbedder, essay_generation: Generation
) -> None:
    for q in QUESTIONS:
        a = [h.passage["passage_id"] for h in Searcher(essay_generation, onnx).search(q, 10).hits]
        b = [h.passage["passage_id"] for h in Searcher(essay_generation, embedder).search(q, 10).hits]
        assert a == b


def test_int8_encoder_keeps_the_dev_metrics(
    int8: OnnxEmbedder, embedder: SentenceTransformerEmbedder, essay_generation: Generation
) -> None:
    """The quantised query encoder (the service's default) answers the dev questions as well as PyTorch."""
    from indexer.evaluation import evaluate_questions

    dev = SHARED / "eval" / "seed-dev.jsonl"
    questions = load_questions(dev)
    reports = {}
    for name, encoder in (("int8", int8), ("torch", embedder)):
        for mode in ("dense", "hybrid"):
            searcher = Searcher(essay_generation, encoder)
            reports[name, mode] = evaluate_questions(
                questions,
                essay_generation.passages,
                lambda q, k, s=searcher, m=mode: [
                    h.passage["passage_id"] for h in s.search(q, k, None, m).hits
                ],
            ).metrics
    for mode in ("dense", "hybrid"):
        for metric, value in reports["torch", mode].items():
            assert abs(reports["int8", mode][metric] - value) <= 0.01, (mode, metric)
    vectors = int8.embed(QUESTIONS)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_export_refuses_a_graph_that_disagrees(tmp_path: Path, embedder: SentenceTransformerEmbedder) -> None:
    wrong_reference = FakeEmbedder(dim=384)
    with pytest.raises(RuntimeError, match="disagrees"):
        export_onnx(embedder.info, tmp_path / "model.onnx", wrong_reference)
    assert not (tmp_path / "model.onnx").exists()


def test_query_cache_returns_the_same_vector_without_the_model() -> None:
    fake = FakeEmbedder()
    cache = QueryCache(fake, size=2)
    first = cache.embed(["alpha beta"])
    again = cache.embed(["alpha beta"])
    np.testing.assert_array_equal(first, again)
    assert fake.calls == [1] and cache.hits == 1
    cache.embed(["gamma"])
    cache.embed(["delta"])  # evicts "alpha beta" (size 2)
    cache.embed(["alpha beta"])
    assert fake.calls == [1, 1, 1, 1]
