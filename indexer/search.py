"""Owns answering a query against one generation: dense retrieval, document filter, and highlights."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from indexer import vector_index
from indexer.embedding import Embedder
from indexer.store import Generation


class UnknownDocumentError(LookupError):
    """The `doc` filter names a document that is not in the index."""


@dataclass(frozen=True, slots=True)
class Hit:
    rank: int
    score: float  # cosine similarity of query and passage, in [-1, 1]
    passage: dict[str, Any]
    highlight: tuple[int, int]  # offsets in passage text of the sentence closest to the query


@dataclass(frozen=True, slots=True)
class SearchResult:
    hits: list[Hit]
    generation: str
    took_ms: float


def best_sentence(
    passage: dict[str, Any], sentence_vectors: np.ndarray, query: np.ndarray
) -> tuple[int, int]:
    """The passage's sentence whose stored vector is closest to the query (the whole text if none)."""
    spans = passage["sentences"]
    if not spans:
        return (0, len(passage["text"]))
    first = passage["sentence_row"]
    scores = sentence_vectors[first : first + len(spans)] @ query
    s, e = spans[int(np.argmax(scores))]
    return (int(s), int(e))


class Searcher:
    """Dense search over one immutable generation; safe to share between threads."""

    def __init__(self, generation: Generation, embedder: Embedder) -> None:
        self.generation = generation
        self.embedder = embedder

    @property
    def name(self) -> str:
        return self.generation.name

    def search(self, query: str, k: int = 5, doc: str | None = None) -> SearchResult:
        started = time.perf_counter()
        gen = self.generation
        rows = None
        if doc is not None:
            if doc not in gen.documents:
                raise UnknownDocumentError(doc)
            d = gen.documents[doc]
            rows = (d["first_row"], d["first_row"] + d["rows"])
        q = self.embedder.embed([query])[0]
        scores, ids = vector_index.search(gen.index, q[None, :], k, rows)
        hits: list[Hit] = []
        for score, row in zip(scores[0], ids[0], strict=True):
            if row < 0:
                continue
            passage = gen.passages[int(row)]
            hits.append(
                Hit(len(hits) + 1, float(score), passage, best_sentence(passage, gen.sentence_vectors, q))
            )
        return SearchResult(hits, gen.name, (time.perf_counter() - started) * 1000)
