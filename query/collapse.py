"""Owns folding near-duplicate passages into one result: the same text in a book's HTML and its PDF, a
mirrored page, repeated boilerplate. The best-ranked copy stays; the others are listed with it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial

import numpy as np

from generation.records import StoredPassage
from generation.shingles import Shingles, shingles

# Texts of about one length that share most of their words share most of their meaning: such passages
# whose vectors are further apart are not compared word by word (what folding costs most). Every
# near-duplicate pair among the first 14 candidates of the five corpora's tuning questions (380 pairs) was
# at 0.72 or closer, except passages of a heading or a line (always compared: their words cost little).
# One passage inside a longer one (another format's passage boundaries) can be further apart: compared.
ALIKE = 0.7
SHORT = 300  # characters
ABOUT_AS_LONG = 1.5  # the longer passage's length over the shorter's


@dataclass(slots=True)
class Copy:
    passage: StoredPassage
    stored: Callable[[], Shingles] | None = None  # its shingles as its generation stores them
    computed: Shingles | None = None  # its shingles, once a comparison needs them

    @property
    def shingles(self) -> Shingles:
        if self.computed is None:
            self.computed = self.stored() if self.stored else shingles(self.passage.text)
        return self.computed


def near_duplicates(a: Copy, b: Copy, threshold: float, cosine: float = 1.0) -> bool:
    """Whether at least `threshold` of the shorter passage's shingles are in the other (passages of about
    one length whose vectors' `cosine` is under ALIKE are not, unless one is short). Overlapping passages
    of one document (neighbours that share a sentence by design) by their offsets instead: the same share
    of the shorter's characters is the shared text (a paragraph's short last window)."""
    pa, pb = a.passage, b.passage
    if pa.doc_id == pb.doc_id and pa.start < pb.end and pb.start < pa.end:
        shared = min(pa.end, pb.end) - max(pa.start, pb.start)
        return shared >= threshold * min(pa.end - pa.start, pb.end - pb.start)
    la, lb = pa.end - pa.start, pb.end - pb.start  # their texts' lengths
    if cosine < ALIKE and min(la, lb) >= SHORT and max(la, lb) <= ABOUT_AS_LONG * min(la, lb):
        return False
    sa, sb = a.shingles, b.shingles
    if not sa or not sb:
        return False
    return len(sa & sb) >= threshold * min(len(sa), len(sb))


@dataclass(slots=True)
class Collapsed:
    """One result: the best-ranked copy (its index among the candidates) and the copies folded into it."""

    index: int
    passage: StoredPassage
    copies: list[StoredPassage] = field(default_factory=list)


def collapse(
    order: Sequence[int],
    passage: Callable[[int], StoredPassage],
    k: int,
    threshold: float,
    vectors: np.ndarray | None = None,
    stored: Callable[[int], Shingles] | None = None,
) -> list[Collapsed]:
    """Walk the candidates best first and keep up to `k` that are not near-duplicates of one kept before;
    each copy is listed with the result it duplicates, among the candidates up to `k` past the last kept
    one (threshold 0: nothing is folded). `vectors`: the candidates' passage vectors, and `stored` their
    shingles, when known."""
    if threshold <= 0:
        return [Collapsed(i, passage(i)) for i in list(order)[:k]]
    copies: dict[int, Copy] = {}
    kept: list[Collapsed] = []
    after = 0  # candidates looked at once `k` are kept: only copies of those are still collected
    walked = list(order)
    # The cosines among the candidates the walk can reach (2k and a few copies), in one product.
    reach = {i: n for n, i in enumerate(walked[: 3 * k])}
    near = (vectors[walked[: 3 * k]] @ vectors[walked[: 3 * k]].T).tolist() if vectors is not None else None
    for i in walked:
        p = passage(i)
        mine = copies[i] = Copy(p, partial(stored, i) if stored else None)
        row = near[reach[i]] if near is not None and i in reach else None
        twin = None
        for c in kept:
            # Unknown cosines (no vectors, or past the reach): compared word by word.
            cosine = row[reach[c.index]] if row is not None else 1.0
            if near_duplicates(copies[c.index], mine, threshold, cosine):
                twin = c
                break
        if twin is not None:
            twin.copies.append(p)
        elif len(kept) < k:
            kept.append(Collapsed(i, p))
        if len(kept) == k:
            after += 1
            if after > k:
                break
    return kept
