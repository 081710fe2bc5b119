"""Owns fitting `low_confidence`: the unanswerable score's weights and threshold from the tuning questions."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from query.confidence import AnswerSignals, unanswerable_score
from query.searcher import Searcher


@dataclass(frozen=True, slots=True)
class Calibration:
    weights: tuple[float, ...]  # intercept, then one per AnswerSignals field (ranking.UNANSWERABLE_WEIGHTS)
    threshold: float  # SEMSEARCH_LOW_CONFIDENCE_ABOVE: just above every answered question's score
    answered_flagged: int  # of the answered questions it was fitted on (0 by construction)
    unanswered_flagged: int  # of the unanswered ones
    unanswered: int

    def render(self) -> str:
        weights = ", ".join(f"{w:.3f}" for w in self.weights)
        return (
            f"UNANSWERABLE_WEIGHTS = ({weights})\n"
            f"SEMSEARCH_LOW_CONFIDENCE_ABOVE={self.threshold:.2f}\n"
            f"on the questions it was fitted on: {self.answered_flagged} answered flagged, "
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


def fit(answered: Sequence[AnswerSignals], unanswered: Sequence[AnswerSignals]) -> Calibration:
    """A logistic regression of "unanswered" on the signals; the threshold is the highest score of an
    answered question rounded up to the next hundredth, so that none of them is flagged (the target
    allows 2 %, and fresh questions score a little higher than the ones fitted on)."""
    from sklearn.linear_model import LogisticRegression  # only the evaluation installs scikit-learn

    if not answered or not unanswered:
        raise ValueError("calibration needs answered and unanswered questions")
    x = np.asarray([s.vector() for s in (*answered, *unanswered)], dtype=np.float64)
    y = np.asarray([0] * len(answered) + [1] * len(unanswered))
    # C=1 (scikit-learn's default) by 5-fold cross-validation on the tuning sets: 0.3 did the same, and
    # 100 flagged more in-domain questions.
    model = LogisticRegression(C=1.0, max_iter=1000).fit(x, y)
    weights = (round(float(model.intercept_[0]), 3), *(round(float(c), 3) for c in model.coef_[0]))
    highest = max(unanswerable_score(s, weights) for s in answered)
    threshold = math.floor(highest * 100 + 1) / 100
    return Calibration(
        weights,
        threshold,
        sum(unanswerable_score(s, weights) > threshold for s in answered),
        sum(unanswerable_score(s, weights) > threshold for s in unanswered),
        len(unanswered),
    )
