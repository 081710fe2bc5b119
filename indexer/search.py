"""Owns answering a query against one generation: dense, lexical and hybrid ranking, rerank, highlights."""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from indexer.embedding import Embedder
from indexer.lexical import tokenize
from indexer.ranking import Mode, Ranking, rrf, score_fusion, top
from indexer.records import StoredPassage
from indexer.store import Generation


class UnknownDocumentError(LookupError):
    """The `doc` filter names a document that is not in the index."""


@dataclass(frozen=True, slots=True)
class Hit:
    rank: int
    score: float  # the ranking score of the mode (see README); higher is more relevant
    passage: StoredPassage
    highlight: tuple[int, int]  # offsets in passage text of the sentence closest to the query
    dense: float  # cosine similarity of query and passage
    lexical: float  # BM25 score of the passage


@dataclass(frozen=True, slots=True)
class SearchResult:
    hits: list[Hit]
    generation: str
    took_ms: float
    mode: Mode
    low_confidence: bool


def best_sentences(
    passage: StoredPassage, sentence_vectors: np.ndarray, query: np.ndarray
) -> tuple[int, float]:
    """Index and similarity of the passage's sentence closest to the query."""
    n = len(passage.sentences)
    if not n:
        return 0, -1.0
    first = passage.sentence_row
    scores = sentence_vectors[first : first + n] @ query
    best = int(np.argmax(scores))
    return best, float(scores[best])


def covers_query(query: str, text: str) -> bool:
    """Every stemmed non-stop-word term of the query is in the text: an exact match of names or numbers."""
    terms = set(tokenize(query))
    return bool(terms) and terms <= set(tokenize(text))


class Searcher:
    """Search over one immutable generation; safe to share between threads."""

    def __init__(self, generation: Generation, embedder: Embedder, ranking: Ranking | None = None) -> None:
        self.generation = generation
        self.embedder = embedder
        self.ranking = ranking or Ranking()

    @property
    def name(self) -> str:
        return self.generation.name

    def _rows(self, doc: str | None) -> tuple[int, int] | None:
        if doc is None:
            return None
        rows = self.generation.documents.row_range(doc)
        if rows is None:
            raise UnknownDocumentError(doc)
        return rows

    def search(
        self,
        query: str,
        k: int = 5,
        doc: str | None = None,
        mode: Mode | None = None,
        ranking: Ranking | None = None,
    ) -> SearchResult:
        started = time.perf_counter()
        cfg = ranking or self.ranking
        mode = mode or cfg.mode
        gen = self.generation
        rows = self._rows(doc)
        n_candidates = max(k, cfg.candidates)
        q = self.embedder.embed([query])[0]

        dense_rows: list[int] = []
        if mode != "lexical":
            _, ids = gen.index.search(q[None, :], n_candidates, rows)
            dense_rows = [int(i) for i in ids[0] if i >= 0]
        lexical_rows: list[int] = []
        bm25 = gen.lexical.scores(query)
        if rows is not None:
            mask = np.zeros_like(bm25, dtype=bool)
            mask[rows[0] : rows[1]] = True
            bm25 = np.where(mask, bm25, -1.0).astype(np.float32)
        if mode != "dense":
            lexical_rows = [int(i) for i in top(bm25, n_candidates) if bm25[i] > 0]

        candidates = list(dict.fromkeys(dense_rows + lexical_rows))
        if not candidates and mode == "lexical":
            candidates = [int(i) for i in top(bm25, n_candidates) if bm25[i] >= 0]
        cand = np.asarray(candidates, dtype=np.int64)
        dense = gen.index.reconstruct(cand) @ q
        lexical = np.maximum(bm25[cand], 0.0) if len(cand) else np.zeros(0, np.float32)
        if mode == "dense":
            score = dense.copy()
        elif mode == "lexical":
            score = lexical.copy()
        elif cfg.fusion == "rrf":
            fused = rrf([dense_rows, lexical_rows], cfg.rrf_k)
            score = np.asarray([fused.get(r, 0.0) for r in candidates], dtype=np.float32)
        else:
            score = score_fusion(dense, lexical, cfg.alpha)
        best: dict[int, tuple[int, float]] = {}  # candidate -> (best sentence, its cosine)
        if cfg.sentence_weight and len(cand):
            best = {
                i: best_sentences(gen.passages[r], gen.sentence_vectors, q) for i, r in enumerate(candidates)
            }
            score = score + cfg.sentence_weight * np.asarray(
                [best[i][1] for i in range(len(cand))], np.float32
            )

        order = np.argsort(-score, kind="stable")[:k]
        hits: list[Hit] = []
        for i in order:
            passage = gen.passages[candidates[i]]
            spans = passage.sentences
            # Highlights only for what is returned: most candidates are never shown.
            sentence = best[i][0] if i in best else best_sentences(passage, gen.sentence_vectors, q)[0]
            s, e = spans[sentence] if spans else (0, len(passage.text))
            hits.append(
                Hit(
                    len(hits) + 1,
                    float(score[i]),
                    passage,
                    (int(s), int(e)),
                    float(dense[i]),
                    float(lexical[i]),
                )
            )
        low = not hits or (
            max(h.dense for h in hits) < cfg.low_confidence_below
            and not any(covers_query(query, h.passage.text) for h in hits)
        )
        return SearchResult(hits, gen.name, (time.perf_counter() - started) * 1000, mode, low)
