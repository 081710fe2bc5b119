"""Owns folding near-duplicate passages into one result: the same text in a book's HTML and its PDF, a
mirrored page, repeated boilerplate. The best-ranked copy stays; the others are listed with it."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from generation.records import StoredPassage

_WORD = re.compile(r"\w+")
SHINGLE = 3  # words per shingle
Shingles = frozenset[tuple[str, ...]]


def shingles(text: str) -> Shingles:
    """The text's runs of three words (case folded): what two copies of one text share whatever their
    passage boundaries, line breaks or page furniture."""
    words = _WORD.findall(text.casefold())
    if len(words) < SHINGLE:
        return frozenset([tuple(words)]) if words else frozenset()
    return frozenset(tuple(words[i : i + SHINGLE]) for i in range(len(words) - SHINGLE + 1))


@dataclass(frozen=True, slots=True)
class Copy:
    passage: StoredPassage
    shingles: Shingles


def near_duplicates(a: Copy, b: Copy, threshold: float) -> bool:
    """Whether at least `threshold` of the shorter passage's shingles are in the other. Overlapping
    passages of one document (neighbours that share a sentence by design) by their offsets instead: the
    same share of the shorter's characters is the shared text (a paragraph's short last window)."""
    pa, pb = a.passage, b.passage
    if pa.doc_id == pb.doc_id and pa.start < pb.end and pb.start < pa.end:
        shared = min(pa.end, pb.end) - max(pa.start, pb.start)
        return shared >= threshold * min(pa.end - pa.start, pb.end - pb.start)
    if not a.shingles or not b.shingles:
        return False
    return len(a.shingles & b.shingles) >= threshold * min(len(a.shingles), len(b.shingles))


@dataclass(slots=True)
class Collapsed:
    """One result: the best-ranked copy (its index among the candidates) and the copies folded into it."""

    index: int
    passage: StoredPassage
    copies: list[StoredPassage] = field(default_factory=list)


def collapse(
    order: Sequence[int], passage: Callable[[int], StoredPassage], k: int, threshold: float
) -> list[Collapsed]:
    """Walk the candidates best first and keep up to `k` that are not near-duplicates of one kept before;
    each copy is listed with the result it duplicates, among the candidates up to `k` past the last kept
    one (threshold 0: nothing is folded)."""
    if threshold <= 0:
        return [Collapsed(i, passage(i)) for i in list(order)[:k]]
    copies: dict[int, Copy] = {}
    kept: list[Collapsed] = []
    after = 0  # candidates looked at once `k` are kept: only copies of those are still collected
    for i in order:
        p = passage(i)
        mine = copies[i] = Copy(p, shingles(p.text))
        twin = next((c for c in kept if near_duplicates(copies[c.index], mine, threshold)), None)
        if twin is not None:
            twin.copies.append(p)
        elif len(kept) < k:
            kept.append(Collapsed(i, p))
        if len(kept) == k:
            after += 1
            if after > k:
                break
    return kept
