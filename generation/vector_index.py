"""Owns every FAISS call: which index type for how many vectors, build, save, open, search, reconstruct."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import faiss
import numpy as np

# Exact search up to this many rows, IVF-Flat from there (memory stays at the raw vectors plus ids;
# training takes a minute or two per million rows). Measured on real vectors (docs/benchmarks.md, "Index
# type"): exact search costs about 93 ns per row here, so it reaches the int8 query encoder's 2 ms at
# about 22,000 rows and 2.3 times it at 50,000; there IVF-Flat answers in under 0.5 ms.
IVF_THRESHOLD = 50_000
# recall@10 against exact search on 59,000 real vectors: 0.944 at nprobe 32, 0.956 at 48, 0.962 at 64.
IVF_NPROBE = 64
TRAIN_SAMPLE = 100_000
# Vectors are memory-mapped, not copied: worker processes share one copy in the page cache, and a
# generation costs no anonymous memory (files stay valid after prune unlinks them).
MMAP = getattr(faiss, "IO_FLAG_MMAP_IFC", 0)


class VectorIndexError(Exception):
    """An index file cannot be read."""


def ivf_lists(n: int) -> int:
    return int(min(65536, 4 * math.sqrt(n)))


def set_threads(threads: int) -> None:
    """OpenMP threads for FAISS (single queries are faster with one on 2 cores)."""
    faiss.omp_set_num_threads(threads)


def library_version() -> str:
    return str(faiss.__version__)


class VectorIndex:
    """Inner-product search over unit rows; row i is passage i."""

    def __init__(self, index: Any, params: dict[str, Any]) -> None:
        self._index = index
        self.params = params

    @classmethod
    def build(cls, vectors: np.ndarray, exact: bool = False, ivf: bool = False) -> VectorIndex:
        """Exact (flat) below IVF_THRESHOLD rows, IVF-Flat from there; `exact` or `ivf` force one (for
        measurements). `params` records the choice."""
        n, dim = vectors.shape
        x = np.ascontiguousarray(vectors, dtype=np.float32)
        index: Any
        if (n >= IVF_THRESHOLD or ivf) and not exact:
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
                "ivf_threshold": IVF_THRESHOLD,
            }
        else:
            index = faiss.IndexFlatIP(dim)
            if n:
                index.add(x)
            params = {"type": "FlatIP", "metric": "inner_product", "ivf_threshold": IVF_THRESHOLD}
        return cls(index, params)

    def save(self, path: Path) -> None:
        faiss.write_index(self._index, str(path))

    def serialized_bytes(self) -> int:
        """Size of the index as saved: what it holds in memory once loaded."""
        return int(faiss.serialize_index(self._index).nbytes)

    @classmethod
    def open(cls, path: Path) -> VectorIndex:
        """Memory-map an index file (IVF also gets a direct map, so candidates can be reconstructed)."""
        try:
            index = faiss.read_index(str(path), MMAP)
        except RuntimeError as exc:
            raise VectorIndexError(f"{path.name} cannot be read ({exc})") from None
        if hasattr(index, "nprobe"):
            index.make_direct_map()  # type: ignore[attr-defined]
            return cls(index, {"type": "IVFFlat", "nprobe": int(index.nprobe)})
        return cls(index, {"type": "FlatIP"})

    @property
    def rows(self) -> int:
        return int(self._index.ntotal)

    @property
    def dim(self) -> int:
        return int(self._index.d)

    def set_nprobe(self, nprobe: int) -> None:
        if hasattr(self._index, "nprobe"):
            self._index.nprobe = nprobe

    def search(
        self, queries: np.ndarray, k: int, rows: tuple[int, int] | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Top-k (scores, row ids) per query, optionally within rows [start, end); -1 pads missing hits."""
        k = max(1, min(k, self.rows))
        q = np.ascontiguousarray(queries, dtype=np.float32)
        if rows is None:
            return self._index.search(q, k)
        if hasattr(self._index, "nprobe"):
            # A document's passages are contiguous rows: scan them exactly rather than probe IVF lists,
            # which would miss rows of one document that fall outside the probed lists.
            start, end = rows
            vectors = self.reconstruct_range(start, end)
            scores = q @ vectors.T
            k = min(k, end - start)
            best = np.argsort(-scores, axis=1, kind="stable")[:, :k]
            return np.take_along_axis(scores, best, axis=1), (best + start).astype(np.int64)
        params = faiss.SearchParameters()
        params.sel = faiss.IDSelectorRange(*rows)
        return self._index.search(q, k, params=params)

    def reconstruct(self, rows: np.ndarray) -> np.ndarray:
        """The stored vectors of the given rows."""
        if not len(rows):
            return np.zeros((0, self.dim), np.float32)
        return self._index.reconstruct_batch(np.asarray(rows, dtype=np.int64))

    def reconstruct_range(self, start: int, end: int) -> np.ndarray:
        """The stored vectors of rows [start, end)."""
        return self._index.reconstruct_n(start, end - start)
