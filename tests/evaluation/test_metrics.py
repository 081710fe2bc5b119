"""Evaluation matches evidence loosely (case, spaces, quotes) and the default setup clears the floor."""

from __future__ import annotations

import pytest

from evaluation.metrics import evaluate_questions
from evaluation.questions import (
    Question,
    evidence_spans,
    highlight_holds_evidence,
    load_lines,
    load_questions,
    normalise,
    relevant_passages,
)
from evaluation.suite import served_searcher
from generation.records import StoredPassage
from generation.store import Generation
from generation.torch_model import SentenceTransformerEmbedder
from query.searcher import Searcher
from service.settings import Settings
from tests.corpus import DEV_QUESTIONS, ESSAY, OFF_TOPIC, SEEDS


def passage(pid: str, text: str) -> StoredPassage:
    return StoredPassage(pid, "doc.txt", 0, len(text), text, None, 0, (), 0, None, ())


def test_normalise_ignores_case_whitespace_and_quote_style() -> None:
    assert normalise("`The  Entire'\n“Thing”") == normalise("'the entire' \"thing\"")


def test_relevance_is_evidence_containment() -> None:
    passages = [passage("a", "He said `all power to the Soviets.'"), passage("b", "Nothing here.")]
    q = Question("q", "?", ("ALL POWER to the soviets",))
    assert relevant_passages(q, passages) == {"a"}


@pytest.mark.slow  # ranx compiles its metrics with numba: about 40 s on a fresh install
def test_metrics_from_ranked_lists() -> None:
    passages = [passage(p, t) for p, t in [("a", "alpha"), ("b", "beta"), ("c", "gamma")]]
    questions = [Question("1", "first", ("alpha",)), Question("2", "second", ("gamma",))]
    ranking = {"first": ["a", "b"], "second": ["b", "a", "c"]}
    report = evaluate_questions(questions, passages, lambda q, k: ranking[q][:k])
    assert report.metrics["hit_rate@1"] == pytest.approx(0.5)
    assert report.metrics["mrr@10"] == pytest.approx((1 + 1 / 3) / 2)


def test_the_question_files_are_in_the_repository_and_every_evidence_span_is_in_the_essay() -> None:
    folder = DEV_QUESTIONS.parent
    essay = normalise((SEEDS / ESSAY).read_text(encoding="utf-8"))
    dev = load_questions(DEV_QUESTIONS)
    tuning, test = load_questions(folder / "essay-tuning.jsonl"), load_questions(folder / "essay-test.jsonl")
    assert len(dev) == 20 and len(tuning) + len(test) >= 120 and len(test) >= 60
    everything = dev + tuning + test
    assert len({q.qid for q in everything}) == len(everything), "ids are unique across the splits"
    assert len({q.question for q in everything}) == len(everything), "no question is asked twice"
    for q in everything:
        assert q.evidence and all(normalise(e) in essay for e in q.evidence), q.qid
    off_tuning, off_test = load_lines(OFF_TOPIC), load_lines(folder / "out-of-domain-test.txt")
    assert len(off_tuning) + len(off_test) >= 125 and not set(off_tuning) & set(off_test)


def test_dev_questions_find_their_evidence_in_the_top_five(
    essay_generation: Generation, embedder: SentenceTransformerEmbedder
) -> None:
    searcher = Searcher(essay_generation, embedder)
    questions = load_questions(DEV_QUESTIONS)
    report = evaluate_questions(
        questions,
        essay_generation.passages,
        lambda q, k: [h.passage.passage_id for h in searcher.search(q, k).hits],
    )
    assert not report.unanswerable
    assert report.metrics["hit_rate@5"] * len(questions) >= 18, report.render()


def test_evidence_is_located_ignoring_case_spaces_and_quotes() -> None:
    from evaluation.questions import evidence_spans, highlight_holds_evidence

    text = "First sentence.  He said “All  power to\nthe Soviets” then. Last one."
    (span,) = evidence_spans(text, ['"all power to the soviets"'])
    assert text[span[0] : span[1]] == "“All  power to\nthe Soviets”"
    assert highlight_holds_evidence(text, (17, 53), ["all power to the soviets"])
    assert not highlight_holds_evidence(text, (0, 15), ["all power to the soviets"])
    assert evidence_spans(text, ["not there"]) == []


def test_fresh_test_questions_are_answered_highlighted_and_off_topic_ones_flagged(
    cli_index: tuple[Settings, str], embedder: SentenceTransformerEmbedder
) -> None:
    """Floors under the test split, which nothing was tuned on (docs/evaluation.md has the figures),
    asked as the service answers them (int8 query encoder): a drop below them means a change made
    answers worse for questions nobody tuned for."""
    folder = DEV_QUESTIONS.parent
    searcher, encoder = served_searcher(cli_index[0], embedder)
    assert "int8" in encoder
    questions = load_questions(folder / "essay-test.jsonl")
    report = evaluate_questions(
        questions,
        searcher.generation.passages,
        lambda q, k: [h.passage.passage_id for h in searcher.search(q, k).hits],
    )
    assert report.metrics["hit_rate@5"] >= 0.97 and report.metrics["mrr@10"] >= 0.88, report.render()
    highlighted = found = 0
    for q in questions:
        hit = next(
            (h for h in searcher.search(q.question, 10).hits if evidence_spans(h.passage.text, q.evidence)),
            None,
        )
        if hit is not None:
            found += 1
            highlighted += highlight_holds_evidence(hit.passage.text, hit.highlight, q.evidence)
    assert highlighted >= 0.85 * found
    # 0 of 70 with the essay-only calibration; 3 of 70 since it is fitted over four corpora (questions about
    # the essay itself: "When was the article first published?"), past the 2 % target: left open
    # (docs/quality.md).
    assert sum(searcher.search(q.question, 5).low_confidence for q in questions) <= 3
    off_topic = load_lines(folder / "out-of-domain-test.txt")
    assert sum(searcher.search(q, 5).low_confidence for q in off_topic) >= 0.8 * len(off_topic)
