"""Owns the query-time settings (SEMSEARCH_* variables read in one place): ranking, highlight, confidence
threshold, the query encoder and its cache."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from generation.settings import Location
from query.config import Fusion, Mode, Ranking


class QuerySettings(Location):
    """How questions are encoded and answered, by the service, `python -m indexer search` and `make eval`."""

    mode: Mode = Field("hybrid", description="Default ranking: `hybrid`, `dense` or `lexical`")
    fusion: Fusion = Field("score", description="Hybrid fusion: `score` (normalised scores) or `rrf`")
    fusion_alpha: float = Field(0.75, ge=0, le=1, description="Weight of the cosine in score fusion")
    candidates: int = Field(50, ge=1, le=1000, description="Candidates per retriever before fusion")
    sentence_weight: float = Field(
        0.0, ge=0, le=2, description="Rerank weight of the best sentence's cosine (off: no measured gain)"
    )
    collapse: float = Field(
        0.6,
        ge=0,
        le=1,
        description="Near-duplicates folded into one result: a passage sharing at least this share of its "
        "word trigrams with a better one is listed under it (`also_in`); 0: off",
    )
    highlight_lexical: float = Field(
        0.3, ge=0, le=5, description="Weight of the question's terms when choosing the sentence to highlight"
    )
    highlight_duration: float = Field(
        0.3,
        ge=0,
        le=5,
        description="Bonus of a sentence holding a length of time, when choosing the sentence to highlight "
        "for a question that asks how long",
    )
    low_confidence_above: float = Field(
        1.63, ge=-20, le=20, description="Unanswerable score above which an answer is flagged low_confidence"
    )
    query_encoder: Literal["auto", "int8", "onnx", "torch"] = Field(
        "auto",
        description="Query encoder: `auto` (int8 ONNX, else float32 ONNX, else PyTorch), `int8`, `onnx` or "
        "`torch`",
    )
    query_cache_size: int = Field(1024, ge=0, le=1_000_000, description="Query vectors kept in the LRU cache")
    threads: int = Field(0, ge=0, le=64, description="Threads of the query encoder per request (0: one)")

    def ranking(self) -> Ranking:
        """The query-time ranking these settings describe."""
        return Ranking(
            mode=self.mode,
            language=self.language,
            fusion=self.fusion,
            alpha=self.fusion_alpha,
            candidates=self.candidates,
            sentence_weight=self.sentence_weight,
            collapse=self.collapse,
            highlight_lexical=self.highlight_lexical,
            highlight_duration=self.highlight_duration,
            low_confidence_above=self.low_confidence_above,
        )
