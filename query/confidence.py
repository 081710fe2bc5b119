"""Owns `low_confidence`: the signals of whether the returned passages answer the question, and the fitted
logistic model (`python -m evaluation calibrate`) that turns them into an unanswerable score."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence, Set
from dataclasses import dataclass

from generation.analysis import Analyzer, AnswerKind
from query.highlight import Highlight


@dataclass(frozen=True, slots=True)
class AnswerSignals:
    """What the first five passages say about whether they answer the question (see unanswerable_score)."""

    best_sentence_cosine: float  # the best cosine of any of their sentences with the question
    best_passage_cosine: float  # the best cosine of any of them, whole, with the question
    coverage: float  # share of the question's terms (idf-weighted) held by the best of them
    unknown: float  # share (idf-weighted) of the question's terms in no passage at all
    # One of the question's terms is in no passage of the corpus: what the corpus's own document
    # frequencies say, in any language (it replaced "a capitalised name is unknown", English-only).
    unknown_term: bool
    missing_answer_type: bool  # a when/how-many question whose closest sentence holds no date/number

    def vector(self) -> list[float]:
        return [
            self.best_sentence_cosine,
            self.best_passage_cosine,
            self.coverage,
            self.unknown,
            float(self.unknown_term),
            float(self.missing_answer_type),
        ]


# Intercept, then one weight per AnswerSignals field: `python -m evaluation calibrate` fits them (a logistic
# regression on every corpus's tuning questions against the questions it cannot answer: its off-topic
# ones and the other corpora's; docs/quality.md) and prints this line.
UNANSWERABLE_WEIGHTS: tuple[float, ...] = (7.462, -5.877, -6.179, -3.716, 1.253, -0.114, 0.689)
JUDGED = 5  # the signals read the first five passages whatever k is, as calibrated


def unanswerable_score(signals: AnswerSignals, weights: tuple[float, ...] = ()) -> float:
    """How likely nothing in the corpus answers the question (a logit: above 0 more likely than not)."""
    weights = weights or UNANSWERABLE_WEIGHTS
    return weights[0] + sum(w * x for w, x in zip(weights[1:], signals.vector(), strict=True))


def as_calibrated(kind: AnswerKind | None) -> AnswerKind | None:
    """The answer kinds `low_confidence` was calibrated with: a length of time counts as a number (the
    finer kind only steers the highlight; on the closest sentence it flagged answered questions)."""
    return "number" if kind == "duration" else kind


KEYWORD_TERMS = 2  # a question of at most this many terms is a look-up of words ("HCPSU", "apt pinning")


def keyword_found(terms: Set[str], signals: AnswerSignals) -> bool:
    """A look-up of a word or two that a returned passage holds, all of them: answered, whatever the
    cosines say (a bare term has little meaning for the model; no calibration question is this short)."""
    return 0 < len(terms) <= KEYWORD_TERMS and signals.coverage >= 1.0 - 1e-9


def answer_signals(
    terms: Set[str],
    asked: AnswerKind | None,
    analyzer: Analyzer,
    idf: Callable[[str], float],
    passages: int,
    highlights: Sequence[Highlight],
    cosines: Sequence[float],
) -> AnswerSignals:
    """The signals of `unanswerable_score` from the highlights of the returned passages and their cosines
    with the question; `asked` is the question's expected answer, `passages` the generation's passage
    count."""
    unknown_idf = math.log(1 + passages + 0.5)  # a term in no passage: rarer than any indexed one
    weight = {t: idf(t) or unknown_idf for t in terms}
    total = sum(weight.values()) or 1.0
    closest = max(highlights, key=lambda h: h.cosine)
    return AnswerSignals(
        best_sentence_cosine=closest.cosine,
        best_passage_cosine=max(cosines),
        coverage=max(sum(weight[t] for t in h.terms) for h in highlights) / total,
        # A question of stop words only ("the and of it") has nothing to look up: none of it is known.
        unknown=sum(w for t, w in weight.items() if idf(t) == 0) / total if terms else 1.0,
        unknown_term=any(idf(t) == 0 for t in terms),
        missing_answer_type=not analyzer.holds_answer(as_calibrated(asked), closest.closest),
    )
