"""Calibrating low_confidence: the fitted score separates answered from unanswered questions, and the
threshold flags none of the answered questions it was fitted on."""

from __future__ import annotations

import random

import numpy as np
import pytest

from evaluation.calibration import fit, signals
from evaluation.questions import load_lines, load_questions
from evaluation.suite import QuestionSets, served_searcher
from generation.torch_model import SentenceTransformerEmbedder
from query.confidence import UNANSWERABLE_WEIGHTS, AnswerSignals, unanswerable_score
from query.config import Ranking
from service.settings import Settings
from tests.corpus import DEV_QUESTIONS


def _signals(rng: random.Random, answered: bool) -> AnswerSignals:
    close = rng.uniform(0.45, 0.8) if answered else rng.uniform(0.05, 0.55)
    return AnswerSignals(
        best_sentence_cosine=close,
        coverage=rng.uniform(0.4, 1.0) if answered else rng.uniform(0.0, 0.6),
        unknown=0.0 if answered else rng.uniform(0.0, 0.5),
        unknown_name=False if answered else rng.random() < 0.4,
        missing_answer_type=False if answered else rng.random() < 0.2,
    )


def test_the_threshold_flags_no_fitted_answered_question_and_most_unanswered_ones() -> None:
    rng = random.Random(7)
    answered = [_signals(rng, True) for _ in range(90)]
    unanswered = [_signals(rng, False) for _ in range(80)]
    cal = fit(answered, unanswered)
    assert len(cal.weights) == 1 + len(answered[0].vector())
    assert all(unanswerable_score(s, cal.weights) <= cal.threshold for s in answered)
    assert cal.answered_flagged == 0
    # an oracle count: the same threshold applied by hand
    by_hand = sum(unanswerable_score(s, cal.weights) > cal.threshold for s in unanswered)
    assert cal.unanswered_flagged == by_hand >= 40
    # the threshold is the highest answered score rounded up to the next hundredth
    highest = max(unanswerable_score(s, cal.weights) for s in answered)
    assert highest <= cal.threshold < highest + 0.011
    # closer sentences and unknown names push the fitted score the expected ways
    assert cal.weights[1] < 0 and cal.weights[4] > 0
    assert "UNANSWERABLE_WEIGHTS = (" in cal.render()


def test_calibration_needs_both_kinds_of_question() -> None:
    with pytest.raises(ValueError, match="answered and unanswered"):
        fit([], [AnswerSignals(0.1, 0.1, 0.5, True, True)])


def test_the_shipped_weights_are_what_calibration_fits_today(
    cli_index: tuple[Settings, str], embedder: SentenceTransformerEmbedder
) -> None:
    """UNANSWERABLE_WEIGHTS and the default threshold are `make calibrate`'s output on the served essay: a
    change to the signals that is not followed by a new calibration fails here (tolerances cover the
    small differences of int8 kernels between CPUs)."""
    searcher, _ = served_searcher(cli_index[0], embedder)
    sets = QuestionSets(DEV_QUESTIONS.parent)
    answered = [q.question for label, path in sets.in_domain if label != "test" for q in load_questions(path)]
    off_topic = dict(sets.off_topic)["tuning"]
    cal = fit(signals(searcher, answered), signals(searcher, load_lines(off_topic)))
    assert np.allclose(cal.weights, UNANSWERABLE_WEIGHTS, atol=0.1), cal.render()
    assert abs(cal.threshold - Ranking().low_confidence_above) <= 0.05, cal.render()
