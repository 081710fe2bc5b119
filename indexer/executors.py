"""Owns where a build's work runs: the Executor protocol (read and chunk the corpus, encode the texts the
cache lacks) and the in-process executor; `indexer.ray_executor` runs the same steps on Ray Data."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np
from tqdm import tqdm

from generation.crash_points import crash_point
from generation.model import Embedder, ModelInfo
from generation.records import mark_spans
from indexer.chunking import ChunkParams, Passage, chunk_document
from indexer.documents import Corpus, Document, load_corpus
from indexer.embedding import Tokenizer

log = logging.getLogger("indexer.build")

# Called with the keys of a finished batch and their vectors (row i is keys[i]).
BatchDone = Callable[[list[str], np.ndarray], None]
# The same, with each text's span vectors pooled from the same forward pass.
PooledDone = Callable[[list[str], np.ndarray, list[np.ndarray]], None]
Span = tuple[int, int]


@runtime_checkable
class PoolingEmbedder(Protocol):
    """An embedder that also gives span vectors from the same forward pass (the PyTorch model does)."""

    def embed_pooled(
        self, texts: Sequence[str], spans: Sequence[Sequence[Span]], batch_size: int = 32
    ) -> tuple[np.ndarray, list[np.ndarray]]: ...


class EncodeError(RuntimeError):
    """An executor could not encode the texts; the message names the failing batch where it can."""


class Executor(Protocol):
    """Runs the heavy steps of a build; everything else (cache, assemble, publish) stays in the build."""

    def read_and_chunk(
        self, corpus_dir: Path, max_bytes: int, info: ModelInfo, params: ChunkParams
    ) -> tuple[Corpus, list[Passage]]: ...

    def encode(self, items: Sequence[tuple[str, str]], batch_size: int, done: BatchDone) -> None:
        """Embed (key, text) pairs, length-sorted by the caller; report each finished batch to `done`."""
        ...

    def encode_pooled(
        self, items: Sequence[tuple[str, str, Sequence[Span]]], batch_size: int, done: PooledDone
    ) -> None:
        """Embed (key, text, spans) with a vector per span pooled from the text's own token embeddings
        (SEMSEARCH_SENTENCE_VECTORS=pooled); EncodeError if the model cannot."""
        ...

    def manifest(self) -> dict[str, Any]:
        """What the generation's manifest records about where it was built."""
        ...

    def close(self) -> None: ...


def document_passages(doc: Document, tokenizer: Tokenizer, params: ChunkParams) -> list[Passage]:
    """One document's passages, with the headings, titled boxes, labels and code its reader found."""
    boxes, labels, code = (mark_spans(doc.marks, kind) for kind in ("box", "label", "code"))
    return chunk_document(doc.doc_id, doc.text, tokenizer, params, doc.headings, boxes, labels, code)


def chunk_corpus(corpus: Corpus, info: ModelInfo, params: ChunkParams) -> list[Passage]:
    tokenizer = Tokenizer(info)
    return [p for doc in corpus.documents for p in document_passages(doc, tokenizer, params)]


class LocalExecutor:
    """This process: the right choice for small corpora (no start-up cost), and the default."""

    def __init__(self, get_embedder: Callable[[], Embedder], progress: bool = False) -> None:
        self.get_embedder, self.progress = get_embedder, progress

    def read_and_chunk(
        self, corpus_dir: Path, max_bytes: int, info: ModelInfo, params: ChunkParams
    ) -> tuple[Corpus, list[Passage]]:
        corpus = load_corpus(corpus_dir, max_bytes)
        log.info("phase chunking: %d documents", len(corpus.documents))
        return corpus, chunk_corpus(corpus, info, params)

    def encode(self, items: Sequence[tuple[str, str]], batch_size: int, done: BatchDone) -> None:
        embedder = self.get_embedder()
        bar = tqdm(
            total=len(items), unit="text", desc="embedding", disable=not self.progress, file=sys.stderr
        )
        step = batch_size * 4  # each step is cached as soon as it is done: a killed build loses little
        for i in range(0, len(items), step):
            chunk = items[i : i + step]
            done([k for k, _ in chunk], embedder.embed([t for _, t in chunk], batch_size=batch_size))
            bar.update(len(chunk))
            crash_point("embedded-batch")
        bar.close()

    def encode_pooled(
        self, items: Sequence[tuple[str, str, Sequence[Span]]], batch_size: int, done: PooledDone
    ) -> None:
        """Embed (key, text, spans) with span vectors pooled from each text's own token embeddings."""
        embedder = self.get_embedder()
        if not isinstance(embedder, PoolingEmbedder):
            raise EncodeError(f"{type(embedder).__name__} cannot pool sentence vectors from token embeddings")
        pool = embedder.embed_pooled
        bar = tqdm(
            total=len(items), unit="text", desc="embedding", disable=not self.progress, file=sys.stderr
        )
        step = batch_size * 4
        for i in range(0, len(items), step):
            chunk = items[i : i + step]
            vectors, pooled = pool([t for _, t, _ in chunk], [s for _, _, s in chunk], batch_size=batch_size)
            done([k for k, _, _ in chunk], vectors, pooled)
            bar.update(len(chunk))
            crash_point("embedded-batch")
        bar.close()

    def manifest(self) -> dict[str, Any]:
        return {"name": "local"}

    def close(self) -> None:
        pass
