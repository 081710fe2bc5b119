"""Owns the query-time configuration: the ranking modes and `Ranking`, every number the pipeline uses
(chosen by measurement; see docs/evaluation.md and docs/quality.md)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Mode = Literal["dense", "lexical", "hybrid"]
MODES: tuple[Mode, ...] = ("dense", "lexical", "hybrid")
Fusion = Literal["score", "rrf"]


@dataclass(frozen=True, slots=True)
class Ranking:
    """How candidates are found, fused and reranked, how the highlight is chosen and when to doubt."""

    mode: Mode = "hybrid"
    language: str = "auto"  # a question's language: detected among the corpus's, or this ISO 639-1 code
    fusion: Fusion = "score"
    alpha: float = 0.75  # weight of the dense score in score fusion (1 - alpha for BM25)
    # ... for a question in a language the model's card does not name (all-MiniLM-L6-v2: English only):
    # its vectors carry less there, so BM25 in the question's own language counts more. 0.45 by measurement
    # on the French handbook's tuning questions (docs/evaluation.md); a model card naming no language: alpha.
    alpha_other_languages: float = 0.45
    rrf_k: int = 60
    candidates: int = 50  # per retriever, before fusion
    sentence_weight: float = 0.0  # rerank: weight of the best sentence's similarity
    # Near-duplicates folded into one result: a passage at least this share of whose word trigrams are in
    # a better one (the shorter's share; 0: off). See query/collapse.py.
    collapse: float = 0.6
    # highlight: weight of the question's terms in a sentence (see highlight). 0.15 held the evidence more
    # often on four corpora's tuning questions (132 -> 137 of 169) but not on their test questions (102 ->
    # 101 of 160: the essay's 61 -> 57 of 69, under tests/evaluation's floor): 0.3 stays (docs/quality.md).
    highlight_lexical: float = 0.3
    highlight_duration: float = 0.3  # highlight: bonus for holding a length of time, asked how long
    # highlight: bonus for holding code or a command, asked how to do something (the reader marks code:
    # HTML code/pre, Markdown code). English handbook tuning, highlight on the evidence: 0 -> 18 of 33,
    # 0.1 to 0.3 -> 19, 0.5 -> 21, 0.7 and 1 -> 20; the essay: unchanged. French (its own question
    # forms, this weight not refitted): 11 -> 13 of 17.
    highlight_code: float = 0.5
    # Above this unanswerable_score nothing answers closely: it flags at most 2 % of the tuning questions
    # of each corpus calibrated on (essay, handbooks, Python docs, SciFact), with a margin (`make calibrate`).
    low_confidence_above: float = 1.63
    unanswerable_weights: tuple[float, ...] = ()  # empty: confidence.UNANSWERABLE_WEIGHTS
