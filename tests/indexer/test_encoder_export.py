"""The ONNX query encoder reproduces sentence-transformers, so generations and queries share one model;
a damaged encoder file is refused and the next one serves."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from evaluation.metrics import evaluate_questions
from evaluation.questions import load_lines, load_questions
from generation.model import ModelError, model_info
from generation.onnx_model import INT8_NAME, OnnxEmbedder, onnx_path
from generation.store import Generation
from generation.torch_model import SentenceTransformerEmbedder
from indexer.encoder_export import export_onnx, quantize_onnx
from query.encoders import choose_query_encoder
from query.searcher import Searcher
from service.settings import Settings
from tests.corpus import DEV_QUESTIONS, OFF_TOPIC
from tests.fakes import FakeEmbedder

QUESTIONS = ["How long did the Paris Commune last?", "K. Venu", "What did Lenin say about cogwheels?"]


@pytest.fixture(scope="module")
def onnx_file(tmp_path_factory: pytest.TempPathFactory, embedder: SentenceTransformerEmbedder) -> Path:
    return export_onnx(embedder.info, tmp_path_factory.mktemp("onnx") / "model.onnx", embedder)


@pytest.fixture(scope="module")
def onnx(onnx_file: Path, embedder: SentenceTransformerEmbedder) -> OnnxEmbedder:
    return OnnxEmbedder(embedder.info, onnx_file)


@pytest.fixture(scope="module")
def int8(onnx_file: Path, embedder: SentenceTransformerEmbedder) -> OnnxEmbedder:
    path = quantize_onnx(embedder.info, onnx_file, onnx_file.with_name(INT8_NAME), embedder)
    return OnnxEmbedder(embedder.info, path)


def test_onnx_vectors_equal_sentence_transformers(
    onnx: OnnxEmbedder, embedder: SentenceTransformerEmbedder
) -> None:
    texts = QUESTIONS + [q.question for q in load_questions(DEV_QUESTIONS)]
    texts.append("word " * 400)  # longer than the model's limit: both truncate at max_seq_length
    got, want = onnx.embed(texts), embedder.embed(texts)
    assert got.shape == want.shape
    assert float((got * want).sum(axis=1).min()) > 0.9999
    np.testing.assert_allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)


def test_same_answers_with_either_encoder(
    onnx: OnnxEmbedder, embedder: SentenceTransformerEmbedder, essay_generation: Generation
) -> None:
    for q in QUESTIONS:
        a = [h.passage.passage_id for h in Searcher(essay_generation, onnx).search(q, 10).hits]
        b = [h.passage.passage_id for h in Searcher(essay_generation, embedder).search(q, 10).hits]
        assert a == b


def test_int8_encoder_keeps_the_dev_metrics(
    int8: OnnxEmbedder, embedder: SentenceTransformerEmbedder, essay_generation: Generation
) -> None:
    """The quantised query encoder (the service's default) answers the dev questions as well as PyTorch."""
    questions = load_questions(DEV_QUESTIONS)
    reports = {}
    for name, encoder in (("int8", int8), ("torch", embedder)):
        for mode in ("dense", "hybrid"):
            searcher = Searcher(essay_generation, encoder)
            reports[name, mode] = evaluate_questions(
                questions,
                essay_generation.passages,
                lambda q, k, s=searcher, m=mode: [h.passage.passage_id for h in s.search(q, k, None, m).hits],
            ).metrics
    for mode in ("dense", "hybrid"):
        for metric, value in reports["torch", mode].items():
            assert abs(reports["int8", mode][metric] - value) <= 0.01, (mode, metric)
    vectors = int8.embed(QUESTIONS)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_int8_vectors_stay_close_to_pytorch_on_every_question_set(
    int8: OnnxEmbedder, embedder: SentenceTransformerEmbedder
) -> None:
    """Per-channel quantisation: the vectors the service ranks with are the model's within a hair (one
    scale per matrix gave a median cosine of 0.968 and moved the test split's MRR@10 from 0.910 to 0.887)."""
    folder = DEV_QUESTIONS.parent
    texts = [q.question for f in ("seed-dev", "essay-tuning") for q in load_questions(folder / f"{f}.jsonl")]
    texts += load_lines(OFF_TOPIC)
    cosines = (int8.embed(texts) * embedder.embed(texts)).sum(axis=1)
    assert float(np.median(cosines)) >= 0.99
    assert float(cosines.min()) >= 0.98


def test_export_refuses_a_graph_that_disagrees(tmp_path: Path, embedder: SentenceTransformerEmbedder) -> None:
    wrong_reference = FakeEmbedder(dim=384)
    with pytest.raises(RuntimeError, match="disagrees"):
        export_onnx(embedder.info, tmp_path / "model.onnx", wrong_reference)
    assert not (tmp_path / "model.onnx").exists()


def _flip_a_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


def test_a_damaged_int8_file_falls_back_to_float32_then_pytorch(
    cli_index: tuple[Settings, str], tmp_path: Path
) -> None:
    settings, _ = cli_index
    info = model_info(settings.model)
    models = tmp_path / "index"
    shutil.copytree(settings.index_dir / "models", models / "models")
    _flip_a_byte(onnx_path(models, info, int8=True))
    chosen = choose_query_encoder(models, info, "auto")
    assert chosen.label == "onnxruntime model.onnx"
    assert "checksum" in chosen.refused["int8"] and set(chosen.refused) == {"int8"}
    _flip_a_byte(onnx_path(models, info))
    chosen = choose_query_encoder(models, info, "auto")
    assert chosen.label == "sentence-transformers (PyTorch)" and set(chosen.refused) == {"int8", "onnx"}
    with pytest.raises(ModelError, match="checksum"):
        choose_query_encoder(models, info, "int8")
