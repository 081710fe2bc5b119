"""Repeated questions are answered from the LRU cache of query vectors, without the model."""

from __future__ import annotations

import numpy as np

from query.cache import QueryCache
from tests.fakes import FakeEmbedder


def test_query_cache_returns_the_same_vector_without_the_model() -> None:
    fake = FakeEmbedder()
    cache = QueryCache(fake, size=2)
    first = cache.embed(["alpha beta"])
    again = cache.embed(["alpha beta"])
    np.testing.assert_array_equal(first, again)
    assert fake.calls == [1] and cache.hits == 1
    cache.embed(["gamma"])
    cache.embed(["delta"])  # evicts "alpha beta" (size 2)
    cache.embed(["alpha beta"])
    assert fake.calls == [1, 1, 1, 1]


def test_a_disabled_cache_always_asks_the_model() -> None:
    fake = FakeEmbedder()
    cache = QueryCache(fake, size=0)
    cache.embed(["alpha"])
    cache.embed(["alpha"])
    assert fake.calls == [1, 1]
