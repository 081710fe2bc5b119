"""Owns passages' word shingles: the hashed runs of three words that two copies of one text share whatever
their passage boundaries, line breaks or typography. Made once per passage when a generation is written,
and read from a memory map when results are folded (query.collapse), so a search never splits words."""

from __future__ import annotations

import re
import zlib
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from generation.records import load_mapped, offsets_path

Shingles = frozenset[int]
_WORD = re.compile(r"\w+")
# ASCII text's words, the same as `\w+` finds in it, split in one call: letters lower-cased, every other
# byte but digits and "_" a space.
_ASCII_WORDS = bytes(
    (ord(chr(c).lower()) if chr(c).isalnum() or c == ord("_") else ord(" ")) if c < 128 else c
    for c in range(256)
)
# Odd 64-bit multipliers that spread three word hashes over one shingle hash (arithmetic wraps).
_FIRST, _SECOND = np.uint64(0x9E3779B97F4A7C15), np.uint64(0xC2B2AE3D27D4EB4F)
_EMPTY = np.zeros(0, dtype=np.uint32)


def words(text: str) -> list[bytes]:
    """The text's words (runs of letters, digits and "_"), case folded, as UTF-8."""
    if text.isascii():
        return text.encode("ascii").translate(_ASCII_WORDS).split()
    return [w.encode("utf-8") for w in _WORD.findall(text.casefold())]


def shingle_hashes(text: str) -> np.ndarray:
    """The text's shingles as sorted, distinct 32-bit hashes, the same in every process (a text of one or
    two words is one shingle)."""
    found = words(text)
    if len(found) < 3:
        return np.asarray([zlib.crc32(b" ".join(found))], dtype=np.uint32) if found else _EMPTY
    # Each word's hash is 64 bits, CRC-32 and Adler-32 side by side: CRC-32 alone gives distinct words one
    # hash ("plumless", "buckeroo"), which would make two texts differing only there the same text.
    crc = np.fromiter(map(zlib.crc32, found), dtype=np.uint64, count=len(found))
    h = (crc << np.uint64(32)) | np.fromiter(map(zlib.adler32, found), dtype=np.uint64, count=len(found))
    mixed = h[:-2] * _FIRST + h[1:-1] * _SECOND + h[2:]
    return np.unique(((mixed >> np.uint64(32)) ^ mixed).astype(np.uint32))


def shingles(text: str) -> Shingles:
    """The text's shingles as a set (what comparing two passages intersects)."""
    return frozenset(shingle_hashes(text).tolist())


def write_shingles(texts: Sequence[str]) -> Callable[[Path], None]:
    """A writer of every passage's shingles, one after another, and their offsets beside them."""

    def write(path: Path) -> None:
        parts = [shingle_hashes(t) for t in texts]
        offsets = np.zeros(len(parts) + 1, dtype=np.int64)
        np.cumsum([len(p) for p in parts], out=offsets[1:])
        for target, array in ((path, np.concatenate([_EMPTY, *parts])), (offsets_path(path), offsets)):
            with target.open("wb") as fh:
                np.save(fh, array, allow_pickle=False)

    return write


class ShingleFile:
    """Row i's shingles, read from a memory map (the page cache holds one copy for all workers)."""

    def __init__(self, path: Path) -> None:
        self._hashes = load_mapped(path)
        offsets = load_mapped(offsets_path(path))
        if (
            self._hashes.dtype != np.uint32
            or offsets.dtype != np.int64
            or offsets.ndim != 1
            or not len(offsets)
            or offsets[0] != 0
            or offsets[-1] != len(self._hashes)
            or bool((np.diff(offsets) < 0).any())
        ):
            raise ValueError(f"{path.name}: its offsets do not match it")
        self._offsets = offsets
        self._rows = len(offsets) - 1

    def __len__(self) -> int:
        return self._rows

    def __getitem__(self, row: int) -> Shingles:
        if not 0 <= row < self._rows:
            raise IndexError(row)
        return frozenset(self._hashes[self._offsets[row] : self._offsets[row + 1]].tolist())
