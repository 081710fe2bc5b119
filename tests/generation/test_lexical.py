"""BM25 scores follow the textbook (Lucene) formula over the analyzer's terms."""

from __future__ import annotations

import math

import numpy as np

from generation.analysis import ENGLISH
from generation.lexical import LexicalIndex

tokenize = ENGLISH.terms


def test_bm25_scores_match_the_lucene_formula() -> None:
    docs = ["the soviets and the party", "party congress in March", "soviets soviets soviets", "nothing"]
    tokenized = [tokenize(d) for d in docs]
    index = LexicalIndex.build(tokenized)
    avgdl = sum(len(t) for t in tokenized) / len(tokenized)
    k1, b, n = 1.5, 0.75, len(docs)

    def expected(query: str) -> np.ndarray:
        out = np.zeros(n)
        for term in set(tokenize(query)):
            df = sum(term in t for t in tokenized)
            if not df:
                continue
            idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
            for i, t in enumerate(tokenized):
                tf = t.count(term)
                out[i] += idf * tf / (tf + k1 * (1 - b + b * len(t) / avgdl))
        return out

    for query in ["soviets", "party congress", "soviets party", "unknown words"]:
        np.testing.assert_allclose(index.scores(tokenize(query)), expected(query), rtol=1e-5, atol=1e-6)
