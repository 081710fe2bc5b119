"""Owns fitting `low_confidence`: the unanswerable score's weights and threshold from the tuning questions."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from query.confidence import AnswerSignals, unanswerable_score
from query.searcher import Searcher

ALLOWED = 0.02  # the share of a corpus's answered questions the target lets low_confidence flag


@dataclass(frozen=True, slots=True)
class Calibration:
    weights: tuple[float, ...]  # intercept, then one per AnswerSignals field (ranking.UNANSWERABLE_WEIGHTS)
    threshold: float  # SEMSEARCH_LOW_CONFIDENCE_ABOVE: flags at most 2 % of each corpus's answered questions
    answered_flagged: int  # of the answered questions it was fitted on
    answered: int
    unanswered_flagged: int  # of the unanswered ones
    unanswered: int

    def render(self) -> str:
        weights = ", ".join(f"{w:.3f}" for w in self.weights)
        return (
            f"UNANSWERABLE_WEIGHTS = ({weights})\n"
            f"SEMSEARCH_LOW_CONFIDENCE_ABOVE={self.threshold:.2f}\n"
            f"on the questions it was fitted on: {self.answered_flagged} of {self.answered} answered "
            "flagged, "
            f"{self.unanswered_flagged} of {self.unanswered} unanswered flagged"
        )


def signals(searcher: Searcher, questions: Sequence[str]) -> list[AnswerSignals]:
    """The answer signals of each question's first five passages, as the service computes them."""
    out = []
    for question in questions:
        found = searcher.search(question, 5).signals
        if found is not None:  # nothing returned at all is flagged whatever the weights
            out.append(found)
    return out


def tolerated(scores: Sequence[float], allowed: float = ALLOWED) -> float:
    """The lowest score that leaves at most `allowed` of `scores` above it (the highest when none may be)."""
    ranked = sorted(scores, reverse=True)
    return ranked[min(len(ranked) - 1, math.floor(allowed * len(ranked)))]


# Between the tolerated score and the threshold: without it the essay's tuning questions sat 0.001 and
# 0.013 from it, so that a query encoder's rounding on another CPU could flip one (1.0 -> 1.1 at the fit
# of 2026-11-29; on the tuning questions: the essay's own 1 -> 0 of 89 flagged, its questions over the
# English handbook 84 -> 81 of 89, the others within one question; docs/quality.md).
MARGIN = 0.1


def fit(answered: Mapping[str, Sequence[AnswerSignals]], unanswered: Sequence[AnswerSignals]) -> Calibration:
    """A logistic regression of "unanswered" on the signals, pooled over corpora (`answered` by corpus);
    the threshold is the highest over corpora of the score that flags at most 2 % of that corpus's
    answered questions (none of fewer than 50), plus MARGIN, rounded up to the next hundredth: the target
    holds on every corpus fitted on, not only on their total, and on a CPU whose int8 kernels move a
    score a little."""
    from sklearn.linear_model import LogisticRegression  # only the evaluation installs scikit-learn

    pooled = [s for group in answered.values() for s in group]
    if not pooled or not unanswered:
        raise ValueError("calibration needs answered and unanswered questions")
    x = np.asarray([s.vector() for s in (*pooled, *unanswered)], dtype=np.float64)
    y = np.asarray([0] * len(pooled) + [1] * len(unanswered))
    # C=1 (scikit-learn's default): on the essay alone 0.3 did the same and 100 flagged more answered ones.
    model = LogisticRegression(C=1.0, max_iter=1000).fit(x, y)
    weights = (round(float(model.intercept_[0]), 3), *(round(float(c), 3) for c in model.coef_[0]))
    highest = max(tolerated([unanswerable_score(s, weights) for s in g]) for g in answered.values() if g)
    threshold = math.floor((highest + MARGIN) * 100 + 1) / 100
    return Calibration(
        weights,
        threshold,
        sum(unanswerable_score(s, weights) > threshold for s in pooled),
        len(pooled),
        sum(unanswerable_score(s, weights) > threshold for s in unanswered),
        len(unanswered),
    )
