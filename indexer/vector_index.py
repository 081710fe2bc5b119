"""Owns the FAISS index behind a narrow interface: which index type for how many vectors, and search."""

from __future__ import annotations

import math
from typing import Any

import faiss
import numpy as np

# Exact search up to this many rows (a 384-d flat scan of 200,000 rows takes about 10 ms here); above it
# IVF-Flat: memory stays at the raw vectors (plus ids), training takes a minute or two per million rows.
IVF_THRESHOLD = 200_000
IVF_NPROBE = 48  # measured by `make bench`: recall@10 >= 0.95 against exact search at 1,000,000 rows
TRAIN_SAMPLE = 100_000


def ivf_lists(n: int) -> int:
    return int(min(65536, 4 * math.sqrt(n)))


def build_index(vectors: np.ndarray) -> tuple[Any, dict[str, Any]]:
    """An inner-product index over unit rows (row i = passage i) and the parameters to record."""
    n, dim = vectors.shape
    x = np.ascontiguousarray(vectors, dtype=np.float32)
    index: Any
    if n >= IVF_THRESHOLD:
        nlist = ivf_lists(n)
        quantizer = faiss.IndexFlatIP(dim)
        index = faiss.IndexIVFFlat(quantizer, dim, nlist, faiss.METRIC_INNER_PRODUCT)
        rng = np.random.default_rng(0)
        sample = x[rng.choice(n, size=min(n, max(TRAIN_SAMPLE, 40 * nlist)), replace=False)]
        index.train(sample)
        index.add(x)
        index.nprobe = IVF_NPROBE
        params: dict[str, Any] = {
            "type": "IVFFlat",
            "nlist": nlist,
            "nprobe": IVF_NPROBE,
            "metric": "inner_product",
        }
    else:
        index = faiss.IndexFlatIP(dim)
        if n:
            index.add(x)
        params = {"type": "FlatIP", "metric": "inner_product"}
    return index, params


def search(
    index: Any, queries: np.ndarray, k: int, rows: tuple[int, int] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Top-k (scores, row ids) per query, optionally restricted to rows [start, end); -1 pads missing hits."""
    k = max(1, min(k, index.ntotal))
    q = np.ascontiguousarray(queries, dtype=np.float32)
    if rows is None:
        return index.search(q, k)
    if hasattr(index, "nprobe"):
        # A document's passages are contiguous rows: scan them exactly rather than probe IVF lists,
        # which would miss rows of one document that fall outside the probed lists.
        start, end = rows
        vectors = index.reconstruct_n(start, end - start)
        scores = q @ vectors.T
        k = min(k, end - start)
        top = np.argsort(-scores, axis=1, kind="stable")[:, :k]
        return np.take_along_axis(scores, top, axis=1), (top + start).astype(np.int64)
    params = faiss.SearchParameters()
    params.sel = faiss.IDSelectorRange(*rows)
    return index.search(q, k, params=params)
