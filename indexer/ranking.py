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
    # Under this best cosine (and with no passage holding every query term) nothing answers closely:
    # midpoint of the dev questions' lowest best cosine (0.392) and 25 off-topic questions' highest (0.17).
    low_confidence_below: float = 0.28


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
