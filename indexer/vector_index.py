"""Owns the FAISS index behind a narrow interface: which index type for how many vectors, and search."""

from __future__ import annotations

from typing import Any

import faiss
import numpy as np

# Exact search stays fast enough well past this corpus size on 2 cores; above it HNSW keeps p50 low.
HNSW_THRESHOLD = 200_000
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 200
HNSW_EF_SEARCH = 128


def build_index(vectors: np.ndarray) -> tuple[Any, dict[str, Any]]:
    """An inner-product index over unit rows (row i = passage i) and the parameters to record."""
    n, dim = vectors.shape
    index: Any
    if n >= HNSW_THRESHOLD:
        index = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
        index.hnsw.efSearch = HNSW_EF_SEARCH
        params: dict[str, Any] = {
            "type": "HNSWFlat",
            "M": HNSW_M,
            "efConstruction": HNSW_EF_CONSTRUCTION,
            "efSearch": HNSW_EF_SEARCH,
            "metric": "inner_product",
        }
    else:
        index = faiss.IndexFlatIP(dim)
        params = {"type": "FlatIP", "metric": "inner_product"}
    if n:
        index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    return index, params


def search(
    index: Any, queries: np.ndarray, k: int, rows: tuple[int, int] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Top-k (scores, row ids) per query, optionally restricted to rows [start, end); -1 pads missing hits."""
    k = max(1, min(k, index.ntotal))
    q = np.ascontiguousarray(queries, dtype=np.float32)
    if rows is None:
        return index.search(q, k)
    params: Any = faiss.SearchParametersHNSW() if hasattr(index, "hnsw") else faiss.SearchParameters()  # type: ignore[attr-defined]
    params.sel = faiss.IDSelectorRange(rows[0], rows[1])
    if hasattr(index, "hnsw"):
        params.efSearch = max(HNSW_EF_SEARCH, k)
    return index.search(q, k, params=params)
