"""Owns the cross-corpus measure of `low_confidence`: each corpus asked its own questions and others'."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from evaluation.libraries import LIBRARIES, library_searcher
from evaluation.questions import load_lines, load_questions, relevant_passages
from evaluation.settings import EvalSettings
from generation.model import Embedder
from indexer.build import build
from query.config import Ranking
from query.searcher import Searcher, SearchResult

SPLITS = ("tuning", "test")
SCIFACT_SEED = 18  # SciFact's 300 claims split once at random, as the handbook's questions were
# The two handbooks are one book: the French build holds 39 English pages and French questions have
# English evidence, so neither's questions count as foreign to the other.
SAME_BOOK = frozenset({"handbook-en", "handbook-fr"})


@dataclass(slots=True)
class Corpus:
    """One corpus as served, and its questions by split: answerable ones and off-topic ones."""

    name: str
    searcher: Searcher
    own: dict[str, list[str]] = field(default_factory=dict)
    off_topic: dict[str, list[str]] = field(default_factory=dict)


def foreign(a: str, b: str) -> bool:
    """Whether `b`'s questions are about something `a` does not hold."""
    return a != b and not {a, b} <= SAME_BOOK


def answerable(searcher: Searcher, path: Path) -> list[str]:
    """The questions of a file whose evidence is in one of the corpus's passages."""
    passages = list(searcher.generation.passages)
    return [q.question for q in load_questions(path) if relevant_passages(q, passages)]


def scifact_claims(source: Path) -> dict[str, list[str]]:
    """SciFact's judged test claims split once at random into tuning and test halves."""
    from evaluation.suite import scifact_judgments

    queries, qrels = scifact_judgments(source)
    claims = sorted((qid, text) for qid, text in queries.items() if qid in qrels)
    random.Random(SCIFACT_SEED).shuffle(claims)
    half = len(claims) // 2
    return {"tuning": [t for _, t in claims[:half]], "test": [t for _, t in claims[half:]]}


def essay_corpus(searcher: Searcher, folder: Path) -> Corpus:
    own = {
        "tuning": [
            q.question
            for name in ("seed-dev", "essay-tuning")
            for q in load_questions(folder / f"{name}.jsonl")
        ],
        "test": [q.question for q in load_questions(folder / "essay-test.jsonl")],
    }
    off = {
        "tuning": load_lines(folder / "out-of-domain.txt"),
        "test": load_lines(folder / "out-of-domain-test.txt"),
    }
    return Corpus("essay", searcher, own, off)


def load_corpora(
    settings: EvalSettings,
    embedder: Embedder,
    folder: Path,
    scifact: Path | None,
    work_dir: Path,
    served: Callable[[EvalSettings, Embedder], tuple[Searcher, str]],
) -> list[Corpus]:
    """The essay, the installed handbooks and SciFact (when there), each built (incrementally) and served."""
    from evaluation.suite import prepare_scifact

    build(settings, lambda: embedder, info=embedder.info, progress=False)
    corpora = [essay_corpus(served(settings, embedder)[0], folder)]
    for lib in LIBRARIES:
        if not lib.source.is_dir():
            continue
        searcher = library_searcher(lib, settings, embedder, work_dir, served)
        own = {s: answerable(searcher, lib.questions_file(folder, s)) for s in SPLITS}
        off = {s: load_lines(lib.off_topic_file(folder, s)) for s in SPLITS}
        corpora.append(Corpus(lib.questions, searcher, own, off))
    if scifact is not None and (scifact / "corpus.jsonl").is_file():
        sci = settings.replace(corpus_dir=work_dir / "scifact-corpus", index_dir=work_dir / "scifact-index")
        prepare_scifact(scifact, sci.corpus_dir)
        build(sci, lambda: embedder, info=embedder.info, progress=False)
        corpora.append(Corpus("scifact", served(sci, embedder)[0], scifact_claims(scifact)))
    return corpora


@dataclass(frozen=True, slots=True)
class Asked:
    """One question set asked of one corpus: whether it should be answered, and every result."""

    corpus: str
    questions: str  # "own", "off-topic" or the corpus the questions are about
    answered: bool
    results: list[SearchResult]

    @property
    def flagged(self) -> int:
        return sum(r.low_confidence for r in self.results)


def ask_all(corpora: list[Corpus], split: str, ranking: Ranking | None = None) -> Iterator[Asked]:
    """Every corpus's own, off-topic and foreign questions of one split, asked as the API asks (k 5)."""
    for c in corpora:
        sets = [("own", True, c.own.get(split, [])), ("off-topic", False, c.off_topic.get(split, []))]
        sets += [(o.name, False, o.own.get(split, [])) for o in corpora if foreign(c.name, o.name)]
        for label, answered, questions in sets:
            if questions:
                yield Asked(
                    c.name, label, answered, [c.searcher.search(q, 5, ranking=ranking) for q in questions]
                )


def table(asked: list[Asked], split: str) -> list[str]:
    """A Markdown table: per corpus, its own questions flagged (target at most 2 %) and every set it
    cannot answer flagged (target at least 90 %)."""
    lines = [
        f"| corpus ({split}) | own questions flagged | questions it cannot answer flagged |",
        "|---|---|---|",
    ]
    for name in dict.fromkeys(a.corpus for a in asked):
        rows = [a for a in asked if a.corpus == name]
        own = ", ".join(f"{a.flagged} of {len(a.results)}" for a in rows if a.answered) or "-"
        other = "; ".join(f"{a.questions} {a.flagged} of {len(a.results)}" for a in rows if not a.answered)
        lines.append(f"| {name} | {own} | {other} |")
    return lines
