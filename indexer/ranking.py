"""Owns how candidates are ranked: the modes, the Ranking configuration and the pure fusion functions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

Mode = Literal["dense", "lexical", "hybrid"]
MODES: tuple[Mode, ...] = ("dense", "lexical", "hybrid")
Fusion = Literal["score", "rrf"]


@dataclass(frozen=True, slots=True)
class Ranking:
    """How candidates are found, fused and reranked (chosen by measurement; see docs/evaluation.md)."""

    mode: Mode = "hybrid"
    fusion: Fusion = "score"
    alpha: float = 0.75  # weight of the dense score in score fusion (1 - alpha for BM25)
    rrf_k: int = 60
    candidates: int = 50  # per retriever, before fusion
    sentence_weight: float = 0.0  # rerank: weight of the best sentence's similarity
    highlight_lexical: float = 0.3  # highlight: weight of the question's terms in a sentence (see search)
    # Above this unanswerable_score nothing answers closely: the highest score of the 89 dev and tuning
    # questions (0.052), rounded up, so that none of them is flagged.
    low_confidence_above: float = 0.06


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


def unanswerable_score(
    best_sentence_cosine: float, coverage: float, unknown: float, unknown_name: bool
) -> float:
    """How likely nothing in the corpus answers the question (a logit: above 0 more likely than not).

    A logistic regression fitted on the 89 dev and tuning questions against the 76 tuning off-topic ones
    (docs/evaluation.md): `best_sentence_cosine` is the best cosine of any sentence of the first five
    passages with the question; `coverage` the share of the question's terms (idf-weighted) held by the
    best of those passages; `unknown` the share (idf-weighted) of its terms in no passage at all;
    `unknown_name` whether one of its names or numbers is in no passage."""
    return (
        1.371
        - 3.732 * best_sentence_cosine
        - 2.371 * coverage
        + 2.179 * unknown
        + 1.461 * float(unknown_name)
    )
