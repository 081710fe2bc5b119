"""Owns lexical retrieval: BM25 tokenisation (quotes, hyphenation, glued footnote markers) and the index."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

LEXICAL_DIR = "lexical"  # folder inside a generation; bm25s writes npy arrays and JSON there (no pickle)

_QUOTES = str.maketrans({c: "'" for c in '`´‘’‚‛“”„‟″′«»"'})
# "re- established" (a line-break hyphen left in the text) is one word, "re-established".
_HYPHENATION = re.compile(r"(?<=[A-Za-z])- (?=[a-z])")
# A footnote marker or number glued to a word: "1The", "1871.1" -> separate tokens.
_DIGIT_LETTER = re.compile(r"(?<=\d)(?=[A-Z][a-z])")
_WORD = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_POSSESSIVE = re.compile(r"'s\b")


@lru_cache(maxsize=1)
def _stopwords() -> frozenset[str]:
    from bm25s.stopwords import STOPWORDS_EN

    return frozenset(STOPWORDS_EN)


@lru_cache(maxsize=1)
def _stemmer() -> Any:
    import Stemmer

    return Stemmer.Stemmer("english")


def tokenize(text: str) -> list[str]:
    """Lower-case stemmed terms without stop words; hyphenated words give the whole and its parts."""
    text = _HYPHENATION.sub("-", text.translate(_QUOTES))
    text = _DIGIT_LETTER.sub(" ", text)
    text = _POSSESSIVE.sub("", text.lower())
    stop = _stopwords()
    words: list[str] = []
    for m in _WORD.finditer(text):
        word = m.group(0)
        parts = word.split("-")
        if len(parts) > 1:
            words.append(word.replace("-", ""))
        words.extend(p for p in parts if p and p not in stop)
    return list(_stemmer().stemWords(words))


class LexicalIndex:
    """BM25 (Lucene variant, k1 1.5, b 0.75) over passages; row i is passage i, like the FAISS index."""

    def __init__(self, bm25: Any) -> None:
        self._bm25 = bm25
        self._vocab: dict[str, int] = bm25.vocab_dict

    @classmethod
    def build(cls, texts: Sequence[str]) -> LexicalIndex:
        import bm25s

        bm25 = bm25s.BM25()
        # An empty token list would make bm25s drop the row; "" keeps rows aligned with passages.
        bm25.index([tokenize(t) or [""] for t in texts], show_progress=False)
        return cls(bm25)

    def save(self, folder: Path) -> None:
        self._bm25.save(str(folder))

    @classmethod
    def load(cls, folder: Path) -> LexicalIndex:
        import bm25s

        # Memory-mapped: worker processes share the score arrays in the page cache.
        return cls(bm25s.BM25.load(str(folder), allow_pickle=False, mmap=True))

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every passage for the query (zeros when no query term is in the corpus)."""
        ids = [self._vocab[t] for t in tokenize(query) if t in self._vocab]
        if not ids:
            return np.zeros(self._bm25.scores["num_docs"], dtype=np.float32)
        return np.asarray(self._bm25.get_scores(ids), dtype=np.float32)

    def idf(self, term: str) -> float:
        """Inverse document frequency of a (tokenized) term; 0 for unknown terms."""
        tid = self._vocab.get(term)
        if tid is None:
            return 0.0
        indptr = self._bm25.scores["indptr"]
        df = int(indptr[tid + 1] - indptr[tid])
        n = int(self._bm25.scores["num_docs"])
        return float(np.log(1 + (n - df + 0.5) / (df + 0.5)))
