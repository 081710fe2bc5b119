"""SEMSEARCH_SENTENCE_VECTORS=pooled: sentence vectors come from the passage's own forward pass (the mean
of the token embeddings each sentence covers), so no sentence text reaches the encoder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from generation import store
from generation.torch_model import SentenceTransformerEmbedder
from indexer.build import BuildError, build
from indexer.settings import BuildSettings
from tests.corpus import copy_seeds, index
from tests.fakes import FakeEmbedder


class Counting:
    """The real embedder, counting texts sent to `embed` and to `embed_pooled`."""

    def __init__(self, inner: SentenceTransformerEmbedder) -> None:
        self.inner, self.info, self.embedded, self.pooled = inner, inner.info, 0, 0

    def embed(self, texts: Any, batch_size: int = 32) -> np.ndarray:
        self.embedded += len(texts)
        return self.inner.embed(texts, batch_size)

    def embed_pooled(self, texts: Any, spans: Any, batch_size: int = 32) -> Any:
        self.pooled += len(texts)
        return self.inner.embed_pooled(texts, spans, batch_size)


def settings_for(root: Path, mode: str) -> BuildSettings:
    corpus = root / "corpus"
    if not corpus.exists():
        copy_seeds(corpus)
    return BuildSettings.from_env(
        {}, corpus_dir=corpus, index_dir=root / mode, export_query_encoder=False, sentence_vectors=mode
    )


def test_pooled_sentence_vectors_are_the_mean_of_their_tokens_and_no_sentence_is_encoded(
    tmp_path: Path, embedder: SentenceTransformerEmbedder
) -> None:
    counting = Counting(embedder)
    pooled = settings_for(tmp_path, "pooled")
    summary = build(pooled, lambda: counting, info=embedder.info, progress=False)
    assert counting.embedded == 0 and counting.pooled == summary.passages
    gen = store.open_current(pooled.index_dir)
    assert gen.manifest["sentence_vectors_from"] == "pooled"
    assert (
        summary.sentences_embedded == len(gen.sentence_vectors) == sum(len(p.sentences) for p in gen.passages)
    )
    # Passage vectors are the ones the encoded build makes.
    build(settings_for(tmp_path, "encoded"), lambda: embedder, info=embedder.info, progress=False)
    encoded = store.open_current(tmp_path / "encoded")
    a, b = (
        gen.index.reconstruct_range(0, gen.index.rows),
        encoded.index.reconstruct_range(0, encoded.index.rows),
    )
    assert float(np.min(np.sum(a * b, axis=1))) > 0.9999
    # Oracle for the sentences: sentence-transformers' own token embeddings, pooled over each sentence's
    # tokens as the tokenizer's offsets place them.
    model = embedder._model
    for passage in gen.passages[:5]:
        tokens = model.encode(passage.text, output_value="token_embeddings").float().cpu().numpy()
        offsets = model.tokenizer(passage.text, return_offsets_mapping=True)["offset_mapping"]
        for n, (s, e) in enumerate(passage.sentences):
            rows = [i for i, (a0, b0) in enumerate(offsets) if b0 > a0 and a0 < e and b0 > s]
            expected = tokens[rows].mean(axis=0)
            expected /= np.linalg.norm(expected)
            stored = np.asarray(gen.sentence_vectors[passage.sentence_row + n], dtype=np.float32)
            assert float(stored @ expected) > 0.999
    # Unchanged corpus: nothing reaches the encoder again.
    again = Counting(embedder)
    assert build(pooled, lambda: again, info=embedder.info, progress=False).embedded == 0
    assert again.embedded == again.pooled == 0


def test_pooled_vectors_need_an_embedder_that_pools(tmp_path: Path) -> None:
    fake = FakeEmbedder()
    settings = settings_for(tmp_path, "pooled")
    with pytest.raises(BuildError, match="cannot pool sentence vectors"):
        index(settings, fake)
    assert store.read_current(settings.index_dir) is None
