"""Owns the build's settings (SEMSEARCH_* variables read in one place): how to read, chunk and embed the
corpus, where the build runs and what it keeps."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from generation.settings import Location


class BuildSettings(Location):
    """What `python -m indexer build` (and `make index`) reads from the environment."""

    passage_tokens: int = Field(
        200, ge=16, le=512, description="Target passage size in model tokens (never above the model limit)"
    )
    overlap_sentences: int = Field(1, ge=0, le=5, description="Sentences repeated where a paragraph is split")
    embed_context: str = Field(
        "heading",
        pattern="^(none|heading|title)$",
        description="What is prefixed to a passage for embedding: nothing, its heading (unless it heads over "
        "a tenth and over 20 of the passages), or the document's title and that heading",
    )
    max_file_bytes: int = Field(
        20_000_000, ge=1, description="Larger files (compressed ones: inflated) are refused (or skipped)"
    )
    batch_size: int = Field(32, ge=1, le=1024, description="Embedding batch size")
    keep_generations: int = Field(3, ge=1, le=100, description="Published generations kept (CURRENT always)")
    skip_bad_files: bool = Field(
        False, description="Skip unreadable, empty or binary files (listed in the summary) instead of failing"
    )
    sentence_vectors: Literal["encoded", "pooled"] = Field(
        "encoded",
        description="Sentence vectors for highlights: `encoded` on their own (the best highlights), or "
        "`pooled` from the passage's token embeddings in the same forward pass (faster builds)",
    )
    export_query_encoder: bool = Field(
        True,
        description="Export the int8 ONNX query encoder after a build (once per model; off: the service "
        "falls back to PyTorch)",
    )
    threads: int = Field(0, ge=0, le=64, description="PyTorch threads for embedding (0: PyTorch's default)")
    executor: Literal["local", "ray"] = Field(
        "local",
        description="Where builds run: `local` (this process) or `ray` (RAY_ADDRESS, else a local Ray)",
    )
    ray_actors: int = Field(
        2, ge=1, le=1024, description="Encoder actors of a Ray build (one GPU each if any, else 0.5 CPU)"
    )
    # 64 measured fastest of 64/256/1024 on 2 CPU actors (docs/benchmarks.md, "Ray batch"; within 3-8 %).
    ray_batch_rows: int = Field(
        64, ge=1, le=100_000, description="Texts handed to a Ray encoder actor per call (by measurement)"
    )
