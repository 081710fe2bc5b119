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
    highlight_lexical: float = 0.3  # highlight: weight of the question's terms in a sentence (see highlight)
    highlight_duration: float = 0.3  # highlight: bonus for holding a length of time, asked how long
    # Above this unanswerable_score nothing answers closely: the highest score of the 89 dev and tuning
    # questions, rounded up, so that none of them is flagged (`python -m evaluation calibrate`).
    low_confidence_above: float = -0.03
    unanswerable_weights: tuple[float, ...] = ()  # empty: confidence.UNANSWERABLE_WEIGHTS
