"""Owns the LRU cache of query vectors in front of a query encoder (repeated questions skip the model)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence

import numpy as np

from generation.model import Embedder


class QueryCache:
    """An LRU cache of query vectors in front of an embedder (repeated questions skip the model)."""

    def __init__(self, inner: Embedder, size: int = 1024) -> None:
        self.inner, self.info, self.size = inner, inner.info, size
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def embed(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        if len(texts) != 1 or self.size == 0:
            return self.inner.embed(texts, batch_size)
        key = texts[0]
        with self._lock:
            vector = self._cache.get(key)
            if vector is not None:
                self._cache.move_to_end(key)
                self.hits += 1
                return vector[None, :]
        vector = self.inner.embed(texts)[0]
        vector.setflags(write=False)
        with self._lock:
            self.misses += 1
            self._cache[key] = vector
            if len(self._cache) > self.size:
                self._cache.popitem(last=False)
        return vector[None, :]
