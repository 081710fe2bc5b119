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
    highlight_duration: float = 0.3  # highlight: bonus for holding a length of time, asked how long
    # Above this unanswerable_score nothing answers closely: the highest score of the 89 dev and tuning
    # questions, rounded up, so that none of them is flagged (`python -m evaluation calibrate`).
    low_confidence_above: float = -0.03
    unanswerable_weights: tuple[float, ...] = ()  # empty: UNANSWERABLE_WEIGHTS (calibration overrides)


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
class AnswerSignals:
    """What the first five passages say about whether they answer the question (see unanswerable_score)."""

    best_sentence_cosine: float  # the best cosine of any of their sentences with the question
    coverage: float  # share of the question's terms (idf-weighted) held by the best of them
    unknown: float  # share (idf-weighted) of the question's terms in no passage at all
    unknown_name: bool  # one of the question's names or numbers is in no passage
    missing_answer_type: bool  # a when/how-many question whose closest sentence holds no date/number

    def vector(self) -> list[float]:
        return [
            self.best_sentence_cosine,
            self.coverage,
            self.unknown,
            float(self.unknown_name),
            float(self.missing_answer_type),
        ]


# Intercept, then one weight per AnswerSignals field: `python -m evaluation calibrate` fits them (a logistic
# regression on the dev and tuning questions against the tuning off-topic ones) and prints this line.
UNANSWERABLE_WEIGHTS: tuple[float, ...] = (0.652, -3.471, -1.695, 2.704, 2.232, 1.028)


def unanswerable_score(signals: AnswerSignals, weights: tuple[float, ...] = ()) -> float:
    """How likely nothing in the corpus answers the question (a logit: above 0 more likely than not)."""
    weights = weights or UNANSWERABLE_WEIGHTS
    return weights[0] + sum(w * x for w, x in zip(weights[1:], signals.vector(), strict=True))
