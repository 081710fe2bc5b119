"""Owns answering a question against one generation, as a pipeline: analyse -> retrieve dense and lexical
candidates -> fuse (and optionally rerank) -> highlight the returned passages -> judge confidence."""

from __future__ import annotations

import dataclasses
import math
import time
from dataclasses import dataclass

import numpy as np

from generation.analysis import PLAIN, Analyzer, AnswerKind, analyzer_named, supported
from generation.language import detect
from generation.model import Embedder
from generation.records import StoredPassage
from generation.store import Generation
from query.collapse import collapse
from query.confidence import JUDGED, AnswerSignals, answer_signals, keyword_found, unanswerable_score
from query.config import Mode, Ranking
from query.highlight import Highlight, HighlightWeights, best_sentence, highlight_sentence
from query.retrieval import Candidates, Rows, fuse, retrieve


class UnknownDocumentError(LookupError):
    """The `doc` filter names a document that is not in the index."""


@dataclass(frozen=True, slots=True)
class Hit:
    rank: int
    score: float  # the ranking score of the mode (see README); higher is more relevant
    passage: StoredPassage
    highlight: tuple[int, int]  # offsets in passage text of the sentence closest to the query
    dense: float  # cosine similarity of query and passage
    lexical: float  # BM25 score of the passage
    also_in: tuple[StoredPassage, ...] = ()  # near-duplicates folded into this result, best first


@dataclass(frozen=True, slots=True)
class SearchResult:
    hits: list[Hit]
    generation: str
    took_ms: float
    mode: Mode
    low_confidence: bool
    doubt: float  # the unanswerable score behind low_confidence (higher: less likely answered)
    signals: AnswerSignals | None  # what that score was computed from (None when nothing was returned)
    more: bool = False  # results exist past the last one returned


@dataclass(frozen=True, slots=True)
class Question:
    """A question as analysed once, before anything is retrieved."""

    text: str
    analyzer: Analyzer  # its language's
    terms: list[str]  # its index terms, in order (what BM25 scores)
    distinct: frozenset[str]  # the same, once each (what the highlight and the signals look for)
    asked: AnswerKind | None  # the kind of answer its form asks for


class Searcher:
    """Search over one immutable generation; safe to share between threads."""

    def __init__(self, generation: Generation, embedder: Embedder, ranking: Ranking | None = None) -> None:
        self.generation = generation
        self.embedder = embedder
        self.ranking = ranking or Ranking()
        if len(generation.languages.counts) > 1:
            detect("warm up")  # load the language model now (0.5 s), not at the first question

    @property
    def name(self) -> str:
        return self.generation.name

    def _rows(self, doc: str | None) -> Rows | None:
        if doc is None:
            return None
        rows = self.generation.documents.row_range(doc)
        if rows is None:
            raise UnknownDocumentError(doc)
        return rows

    def _for_language(self, cfg: Ranking, question: Question) -> Ranking:
        """The ranking for this question's language: less weight on the vectors where the model did not
        learn the language (a language its card names, or any when it names none, keeps `alpha`)."""
        learned = self.generation.manifest.get("model", {}).get("languages") or []
        language = question.analyzer.name
        if not learned or language == PLAIN or language in learned:
            return cfg
        return dataclasses.replace(cfg, alpha=min(cfg.alpha, cfg.alpha_other_languages))

    def analyse(self, text: str, language: str = "auto") -> Question:
        """The question's terms and answer kind, in its language: the one asked for, else the corpus's
        only one, else the likeliest of the corpus's (its main one when the question cannot tell)."""
        languages = self.generation.languages
        if language != "auto":
            analyzer = analyzer_named(language if supported(language) else PLAIN)
        elif len(languages.counts) == 1:
            analyzer = languages.analyzer()
        else:
            analyzer = languages.analyzer(detect(text, among=languages.codes))
        terms = analyzer.terms(text)
        return Question(text, analyzer, terms, frozenset(terms), analyzer.expected_answer(text))

    def search(
        self,
        query: str,
        k: int = 5,
        doc: str | None = None,
        mode: Mode | None = None,
        ranking: Ranking | None = None,
        offset: int = 0,
    ) -> SearchResult:
        """The results ranked `offset + 1` to `offset + k` (and whether more exist)."""
        started = time.perf_counter()
        cfg = ranking or self.ranking
        mode = mode or cfg.mode
        rows = self._rows(doc)
        question = self.analyse(query, cfg.language)
        vector = self.embedder.embed([query])[0]
        wanted = offset + k
        found = retrieve(self.generation, vector, question.terms, rows, mode, max(wanted + 1, cfg.candidates))
        scores = self._rerank(found, vector, fuse(found, mode, self._for_language(cfg, question)), cfg)
        order = [int(i) for i in np.argsort(-scores, kind="stable")]
        gen, stored = self.generation, self.generation.shingles
        results = collapse(
            order,
            lambda i: gen.passages[found.rows[i]],
            wanted + 1,
            cfg.collapse,
            found.vectors,
            None if stored is None else lambda i: stored[found.rows[i]],
        )
        more, results = len(results) > wanted, results[:wanted]
        # Highlights only for what is returned, and the first passages the confidence reads.
        marks = {
            n: self._highlight(r.passage, vector, question, cfg)
            for n, r in enumerate(results)
            if n >= offset or n < JUDGED
        }
        hits = [
            Hit(
                n + 1,
                float(scores[r.index]),
                r.passage,
                marks[n].span,
                *found.scores(r.index),
                tuple(r.copies),
            )
            for n, r in enumerate(results)
            if n >= offset
        ]
        judged = range(min(JUDGED, len(results)))
        cosines = [found.scores(results[n].index)[0] for n in judged]
        signals, doubt = self._judge(question, [marks[n] for n in judged], cosines, cfg)
        took = (time.perf_counter() - started) * 1000
        low = doubt > cfg.low_confidence_above and not (signals and keyword_found(question.distinct, signals))
        return SearchResult(hits, self.generation.name, took, mode, low, doubt, signals, more)

    def _rerank(self, found: Candidates, vector: np.ndarray, scores: np.ndarray, cfg: Ranking) -> np.ndarray:
        """Scores plus `sentence_weight` times each candidate's best sentence cosine (off by default)."""
        if not cfg.sentence_weight or not found.rows:
            return scores
        gen = self.generation
        best = [best_sentence(gen.passages[r], gen.sentence_vectors, vector)[1] for r in found.rows]
        return scores + cfg.sentence_weight * np.asarray(best, np.float32)

    def _highlight(
        self, passage: StoredPassage, vector: np.ndarray, question: Question, cfg: Ranking
    ) -> Highlight:
        # Only "how long" questions steer the highlight by answer kind: a "when" question is often
        # answered relative to an event ("before this Congress") where citations hold years, and on the
        # tuning sets a date or number bonus changed nothing (docs/quality.md).
        kind = "duration" if question.asked == "duration" else None
        gen = self.generation
        code = cfg.highlight_code if question.asked == "procedure" else 0.0
        weights = HighlightWeights(cfg.highlight_lexical, cfg.highlight_duration, kind, code)
        return highlight_sentence(
            passage,
            gen.sentence_vectors,
            vector,
            question.distinct,
            gen.lexical.idf,
            question.analyzer,
            weights,
        )

    def _judge(
        self, question: Question, marks: list[Highlight], cosines: list[float], cfg: Ranking
    ) -> tuple[AnswerSignals | None, float]:
        """The confidence signals of the first passages (their highlights and cosines with the question)
        and their unanswerable score (inf: no results)."""
        if not marks:
            return None, math.inf
        gen = self.generation
        signals = answer_signals(
            question.distinct,
            question.asked,
            question.analyzer,
            gen.lexical.idf,
            len(gen.passages),
            marks,
            cosines,
        )
        return signals, unanswerable_score(signals, cfg.unanswerable_weights)
