"""Generations are written whole, published atomically, verified, and pruned without touching CURRENT."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from generation import store
from indexer.settings import BuildSettings
from tests.corpus import index
from tests.fakes import FakeEmbedder


def _settings(tmp_path: Path, keep: int = 2) -> BuildSettings:
    corpus = tmp_path / "corpus"
    corpus.mkdir(exist_ok=True)
    (corpus / "a.txt").write_text(
        "The first document. It talks about the soviets.\n\nA second paragraph here."
    )
    return BuildSettings(
        corpus_dir=corpus, index_dir=tmp_path / "index", keep_generations=keep, export_query_encoder=False
    )


def _build(settings: BuildSettings, fake: FakeEmbedder) -> str:
    return index(settings, fake).generation


def test_published_generation_verifies_and_opens(tmp_path: Path) -> None:
    fake = FakeEmbedder()
    settings = _settings(tmp_path)
    name = _build(settings, fake)
    assert store.read_current(settings.index_dir) == name
    gen = store.open_current(settings.index_dir, fake.info.fingerprint, fake.info.dim)
    assert gen.index.rows == len(gen.passages) == gen.manifest["passages"]
    files = set(gen.manifest["files"])
    assert {"index.faiss", "passages.jsonl", "documents.jsonl", "sentences.npy"} <= files
    assert {"lexical/data.csc.index.npy", "lexical/vocab.index.json"} <= files
    assert gen.manifest["model"]["name"] == "fake"


@pytest.mark.parametrize(
    "victim",
    ["index.faiss", "passages.jsonl", "documents.jsonl", "sentences.npy", "lexical/data.csc.index.npy"],
)
def test_a_flipped_byte_fails_verification(tmp_path: Path, victim: str) -> None:
    fake = FakeEmbedder()
    settings = _settings(tmp_path)
    name = _build(settings, fake)
    generation = store.generations_dir(settings.index_dir) / name
    path = generation / victim
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.raises(store.GenerationError, match=f"checksum of {victim}"):
        store.verify(generation, fake.info.fingerprint)


def test_a_small_generation_is_checksummed_before_serving_even_with_auto(tmp_path: Path) -> None:
    fake = FakeEmbedder()
    settings = _settings(tmp_path)
    generation = store.generations_dir(settings.index_dir) / _build(settings, fake)
    path = generation / "passages.jsonl"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01  # same size: only a checksum can see it
    path.write_bytes(bytes(data))
    with pytest.raises(store.GenerationError, match=r"checksum of passages\.jsonl"):
        store.open_generation(generation, verification="auto")
    store.open_generation(generation, verification="sizes")  # what `sizes` trades away, by design


def test_sizes_verification_refuses_a_truncated_or_missing_file(tmp_path: Path) -> None:
    fake = FakeEmbedder()
    settings = _settings(tmp_path)
    generation = store.generations_dir(settings.index_dir) / _build(settings, fake)
    manifest = store.read_manifest(generation)
    assert manifest["sizes"]["index.faiss"] == (generation / "index.faiss").stat().st_size
    with (generation / "sentences.npy").open("ab") as fh:
        fh.write(b"\0")
    with pytest.raises(store.GenerationError, match=r"size of sentences\.npy"):
        store.open_generation(generation, verification="sizes")
    (generation / "sentences.npy").unlink()
    with pytest.raises(store.GenerationError, match=r"sentences\.npy is missing"):
        store.open_generation(generation, verification="sizes")


def test_document_titles_and_rows_come_from_the_manifest_the_same_as_from_the_file(tmp_path: Path) -> None:
    from generation.records import DocumentFile

    fake = FakeEmbedder()
    settings = _settings(tmp_path)
    (settings.corpus_dir / "b.md").write_text("# Bee title\n\nAnother text about councils.\n")
    _build(settings, fake)
    gen = store.open_current(settings.index_dir)
    from_file = DocumentFile(gen.path / "documents.jsonl")
    assert [(d, gen.documents.title(d), gen.documents.row_range(d)) for d in gen.documents] == [
        (d, from_file.title(d), from_file.row_range(d)) for d in from_file
    ]
    assert len(gen.documents) == 2


def test_a_generation_of_another_model_is_refused(tmp_path: Path) -> None:
    fake = FakeEmbedder()
    settings = _settings(tmp_path)
    name = _build(settings, fake)
    with pytest.raises(store.GenerationError, match="not the model"):
        store.verify(store.generations_dir(settings.index_dir) / name, "another-fingerprint")


def test_prune_keeps_the_newest_and_current_and_removes_temporaries(tmp_path: Path) -> None:
    fake = FakeEmbedder()
    settings = _settings(tmp_path, keep=2)
    names = [_build(settings, fake) for _ in range(4)]
    leftover = store.generations_dir(settings.index_dir) / f"{store.TMP_PREFIX}crashed"
    leftover.mkdir()
    store.prune(settings.index_dir, keep=2)
    remaining = sorted(p.name for p in store.generations_dir(settings.index_dir).iterdir())
    assert remaining == names[-2:]
    assert store.read_current(settings.index_dir) == names[-1]


def test_publish_refuses_an_unfinished_generation(tmp_path: Path) -> None:
    with pytest.raises(store.GenerationError):
        store.publish(tmp_path, "does-not-exist")
    assert store.read_current(tmp_path) is None


def test_sentence_vectors_are_stored_in_half_precision_without_pickle(tmp_path: Path) -> None:
    fake = FakeEmbedder()
    settings = _settings(tmp_path)
    name = _build(settings, fake)
    array = np.load(store.generations_dir(settings.index_dir) / name / "sentences.npy", allow_pickle=False)
    assert array.dtype == np.float16 and array.shape[1] == fake.info.dim
