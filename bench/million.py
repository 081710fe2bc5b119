"""Owns the million-passage benchmark: a corpus generated from the King James Bible, a stand-in encoder
fast enough to embed it here, and the build through the real `indexer.build`."""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from generation import store
from generation.model import ModelInfo
from generation.onnx_model import onnx_path
from indexer.build import BuildSummary, build
from indexer.executors import LocalExecutor
from indexer.settings import BuildSettings

PARAGRAPHS_PER_DOCUMENT = 4_000


class StandInEncoder:
    """Deterministic bag-of-words vectors (a fixed random vector per word, summed and normalised): the
    model's dimension and fingerprint, so the service serves the generation with the real query encoder,
    at thousands of texts a second. Rankings are meaningless; sizes, memory and latency are real."""

    label = "stand-in (hashed bag of words)"

    def __init__(self, info: ModelInfo) -> None:
        self.info = info
        self._rows: dict[str, int] = {}
        self._table = np.zeros((0, info.dim), np.float32)

    def _word_row(self, word: str) -> int:
        row = self._rows.get(word)
        if row is None:
            row = self._rows[word] = len(self._rows)
            if row >= len(self._table):
                self._table = np.concatenate(
                    [self._table, np.zeros((max(1024, row), self.info.dim), np.float32)]
                )
            seed = int.from_bytes(hashlib.blake2b(word.encode(), digest_size=8).digest(), "little")
            self._table[row] = np.random.default_rng(seed).standard_normal(self.info.dim, dtype=np.float32)
        return row

    def embed(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        ids: list[int] = []
        starts: list[int] = []
        for text in texts:
            starts.append(len(ids))
            ids.extend(self._word_row(w) for w in (text.lower().split() or [""]))
        out = np.add.reduceat(self._table[np.asarray(ids)], np.asarray(starts), axis=0)
        out /= np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-9)
        return out.astype(np.float32)


def million_corpus(bible: Path, dest: Path, paragraphs: int) -> Path:
    """`paragraphs` paragraphs of one or two verses drawn from the King James Bible with a fixed seed,
    4,000 to a document (so one passage each at 64 tokens, about a million passages in all)."""
    marker = dest / ".complete"
    if marker.is_file() and marker.read_text() == str(paragraphs):
        return dest
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    verses = [
        v.split(" ", 2)[2]  # drop "Book chapter:verse"
        for book in sorted(bible.glob("*.txt"))
        for v in book.read_text(encoding="utf-8").split("\n\n")
        if v.count(" ") >= 2
    ]
    rng = np.random.default_rng(2026)
    picks = rng.integers(0, len(verses), size=(paragraphs, 2))
    pairs = rng.random(paragraphs) < 0.5
    for d, start in enumerate(range(0, paragraphs, PARAGRAPHS_PER_DOCUMENT)):
        body = []
        for i in range(start, min(paragraphs, start + PARAGRAPHS_PER_DOCUMENT)):
            a, b = picks[i]
            body.append(verses[a] + (" " + verses[b] if pairs[i] else ""))
        (dest / f"part-{d:04d}.txt").write_text(f"Part {d + 1}\n\n" + "\n\n".join(body), encoding="utf-8")
    marker.write_text(str(paragraphs))
    return dest


def build_million(corpus: Path, index: Path, info: ModelInfo, encoders_from: Path) -> BuildSummary:
    """The real build (chunking, cache, BM25, IVF, checksums, publish) with the stand-in encoder; the
    query encoder files are copied from the essay's index (the stand-in cannot be exported)."""
    source = onnx_path(encoders_from, info).parent
    target = onnx_path(index, info).parent
    if not target.exists():
        shutil.copytree(source, target)
    settings = BuildSettings.from_env(
        {}, corpus_dir=corpus, index_dir=index, passage_tokens=64, batch_size=1024, max_file_bytes=50_000_000
    )
    encoder = StandInEncoder(info)
    return build(settings, lambda: encoder, info, progress=False, executor=LocalExecutor(lambda: encoder))


def copy_generation(index: Path) -> str:
    """A second generation with the same content under a new name (for the swap under load): every file
    copied, so the service opens, verifies and maps a distinct set of files."""
    current = store.read_current(index)
    assert current is not None
    name = store.new_generation_name()
    gens = store.generations_dir(index)
    tmp = gens / f"{store.TMP_PREFIX}{name}"
    shutil.copytree(gens / current, tmp)
    manifest: dict[str, Any] = json.loads((tmp / store.MANIFEST).read_text(encoding="utf-8"))
    manifest["generation"] = name
    (tmp / store.MANIFEST).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    tmp.rename(gens / name)
    return name
