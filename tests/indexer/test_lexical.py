"""BM25 tokenisation copes with the essay's typography, and BM25 scores follow the textbook formula."""

from __future__ import annotations

import math

import numpy as np
import pytest
from indexer.lexical import tokenize

from generation.lexical import LexicalIndex


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("`all power to the Soviets.'", ["all", "power", "soviet"]),
        ("“Soviets”", ["soviet"]),
        ("not firmly re- established", ["firm", "reestablish", "re", "establish"]),
        ("the Paris Commune of 1871.1 Marx", ["pari", "commune", "1871", "1", "marx"]),
        ("1The Paris Commune", ["1", "pari", "commune"]),
        ("dictatorship.4", ["dictatorship", "4"]),
        ("K. Venu", ["k", "venu"]),
        ("Lenin's 10th Party Congress", ["lenin", "10th", "parti", "congress"]),
    ],
)
def test_tokenize(text: str, expected: list[str]) -> None:
    assert tokenize(text) == expected


def test_query_and_text_spellings_meet() -> None:
    assert set(tokenize("re-established")) <= set(tokenize("firmly re- established"))
    assert set(tokenize("reestablished")) <= set(tokenize("firmly re- established"))


def test_bm25_scores_match_the_lucene_formula() -> None:
    docs = ["the soviets and the party", "party congress in March", "soviets soviets soviets", "nothing"]
    index = LexicalIndex.build(docs)
    tokenized = [tokenize(d) for d in docs]
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
        np.testing.assert_allclose(index.scores(query), expected(query), rtol=1e-5, atol=1e-6)
