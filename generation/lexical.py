"""Owns the lexical index: BM25 (bm25s, Lucene variant) over a generation's passages, saved as npy/JSON
(no pickle). It takes terms, not text: the generation's analyzer (generation.analysis) makes them."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

LEXICAL_DIR = "lexical"  # folder inside a generation; bm25s writes npy arrays and JSON there (no pickle)
PARAMETERS = {"library": "bm25s", "method": "lucene", "k1": 1.5, "b": 0.75}


class LexicalIndex:
    """BM25 (Lucene variant, k1 1.5, b 0.75) over passages; row i is passage i, like the FAISS index."""

    def __init__(self, bm25: Any) -> None:
        # Plain arrays over the maps: np.memmap's own slicing, per query term, cost as much as BM25's
        # sums (the essay: 33 against 16 µs a question).
        bm25.scores = {
            k: v.view(np.ndarray) if isinstance(v, np.memmap) else v for k, v in bm25.scores.items()
        }
        self._bm25 = bm25
        self._vocab: dict[str, int] = bm25.vocab_dict
        self._indptr = bm25.scores["indptr"]
        self._rows = int(bm25.scores["num_docs"])
        self._idf: dict[str, float] = {}

    @classmethod
    def build(cls, passage_terms: Sequence[list[str]]) -> LexicalIndex:
        import bm25s

        bm25 = bm25s.BM25()
        # An empty term list would make bm25s drop the row; "" keeps rows aligned with passages.
        bm25.index([terms or [""] for terms in passage_terms], show_progress=False)
        return cls(bm25)

    def save(self, folder: Path) -> None:
        self._bm25.save(str(folder))

    @classmethod
    def load(cls, folder: Path) -> LexicalIndex:
        import bm25s

        # Memory-mapped: worker processes share the score arrays in the page cache.
        return cls(bm25s.BM25.load(str(folder), allow_pickle=False, mmap=True))

    def scores(self, terms: Sequence[str]) -> np.ndarray:
        """BM25 score of every passage for the query's terms (zeros when none is in the corpus)."""
        ids = [self._vocab[t] for t in terms if t in self._vocab]
        if not ids:
            return np.zeros(self._rows, dtype=np.float32)
        return np.asarray(self._bm25.get_scores(ids), dtype=np.float32)

    def idf(self, term: str) -> float:
        """Inverse document frequency of an (analysed) term; 0 for unknown terms."""
        known = self._idf.get(term)
        if known is not None:
            return known
        tid = self._vocab.get(term)
        if tid is None:
            return 0.0
        df = int(self._indptr[tid + 1] - self._indptr[tid])
        # Kept once asked (the highlight and the confidence ask for every term of every sentence): at most
        # one entry per term of the corpus's vocabulary.
        value = self._idf[term] = math.log(1 + (self._rows - df + 0.5) / (df + 0.5))
        return value
