"""Owns retrieval and fusion: dense and BM25 candidates from one generation, and the pure functions that
fuse their scores into one ranking."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from generation.store import Generation
from query.config import Mode, Ranking

Rows = tuple[int, int]  # a document's passages: rows [first, last)


def top(scores: np.ndarray, n: int) -> np.ndarray:
    """Indices of the n largest scores, best first (stable for ties)."""
    if n >= scores.shape[0]:
        return np.argsort(-scores, kind="stable")
    part = np.argpartition(-scores, n)[:n]
    return part[np.argsort(-scores[part], kind="stable")]


def rrf(rankings: list[list[int]], k: int) -> dict[int, float]:
    """Reciprocal rank fusion: sum of 1 / (k + rank) over the lists a row appears in."""
    fused: dict[int, float] = {}
    for ranking in rankings:
        for rank, row in enumerate(ranking, 1):
            fused[row] = fused.get(row, 0.0) + 1.0 / (k + rank)
    return fused


def score_fusion(dense: np.ndarray, lexical: np.ndarray, alpha: float) -> np.ndarray:
    """alpha * cosine + (1 - alpha) * BM25 scaled by the best candidate's BM25 (both then in about [0, 1])."""
    best = float(lexical.max()) if lexical.size else 0.0
    scaled = lexical / best if best > 0 else lexical
    return alpha * dense + (1 - alpha) * scaled


@dataclass(frozen=True, slots=True)
class Candidates:
    """The union of both retrievers' rows, with both scores for each."""

    rows: list[int]  # dense rows first, then lexical ones not among them
    dense_rows: list[int]  # the dense retriever's ranking
    lexical_rows: list[int]  # BM25's ranking (passages with a positive score)
    dense: np.ndarray  # cosine of each candidate with the question
    lexical: np.ndarray  # BM25 score of each candidate (0 when negative or outside the filter)
    vectors: np.ndarray  # each candidate's passage vector (unit length), one row per candidate

    def scores(self, i: int) -> tuple[float, float]:
        """Candidate i's cosine and BM25 score."""
        return float(self.dense[i]), float(self.lexical[i])


def _bm25(generation: Generation, terms: Sequence[str], rows: Rows | None) -> np.ndarray:
    """BM25 of every passage; outside the document filter -1 (below any passage inside it)."""
    bm25 = generation.lexical.scores(terms)
    if rows is None:
        return bm25
    mask = np.zeros_like(bm25, dtype=bool)
    mask[rows[0] : rows[1]] = True
    return np.where(mask, bm25, -1.0).astype(np.float32)


def retrieve(
    generation: Generation,
    vector: np.ndarray,
    terms: Sequence[str],
    rows: Rows | None,
    mode: Mode,
    wanted: int,
) -> Candidates:
    """Up to `wanted` rows from each retriever the mode uses (lexical mode: every passage in the filter
    when no term matches), scored by both."""
    dense_rows: list[int] = []
    if mode != "lexical":
        _, ids = generation.index.search(vector[None, :], wanted, rows)
        dense_rows = [int(i) for i in ids[0] if i >= 0]
    bm25 = _bm25(generation, terms, rows)
    lexical_rows: list[int] = []
    if mode != "dense":
        lexical_rows = [int(i) for i in top(bm25, wanted) if bm25[i] > 0]
    candidates = list(dict.fromkeys(dense_rows + lexical_rows))
    if not candidates and mode == "lexical":
        candidates = [int(i) for i in top(bm25, wanted) if bm25[i] >= 0]
    cand = np.asarray(candidates, dtype=np.int64)
    vectors = generation.index.reconstruct(cand)
    lexical = np.maximum(bm25[cand], 0.0) if len(cand) else np.zeros(0, np.float32)
    return Candidates(candidates, dense_rows, lexical_rows, vectors @ vector, lexical, vectors)


def fuse(candidates: Candidates, mode: Mode, ranking: Ranking) -> np.ndarray:
    """Each candidate's score in the mode: cosine, BM25, or their fusion (score or RRF)."""
    if mode == "dense":
        return candidates.dense.copy()
    if mode == "lexical":
        return candidates.lexical.copy()
    if ranking.fusion == "rrf":
        fused = rrf([candidates.dense_rows, candidates.lexical_rows], ranking.rrf_k)
        return np.asarray([fused.get(r, 0.0) for r in candidates.rows], dtype=np.float32)
    return score_fusion(candidates.dense, candidates.lexical, ranking.alpha)
