"""Every passage's word shingles are stored with its generation, the same as the text gives in any
process, so that folding near-duplicate results reads them instead of splitting words on every search."""

from __future__ import annotations

import os
import random
import re
import string
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from generation import store
from generation.records import offsets_path
from generation.shingles import ShingleFile, shingle_hashes, shingles, words, write_shingles
from service.settings import Settings
from tests.fakes import FakeEmbedder

REPO = Path(__file__).resolve().parents[2]


def test_ascii_text_gives_the_words_of_its_fast_path() -> None:
    """ASCII text is split with a translation table (faster); its words are those of `\\w+`."""
    rng = random.Random(5)
    for _ in range(500):
        text = "".join(rng.choice(string.printable) for _ in range(rng.randint(0, 200)))
        assert words(text) == [w.encode() for w in re.findall(r"\w+", text.casefold())], repr(text)


def test_copies_in_other_typography_and_case_share_their_shingles() -> None:
    assert shingles("Don't stop: l'été is HERE") == shingles("don’t stop — l’Été\u00a0is here")
    assert shingles("one two") == shingles("One, two.") != shingles("two one")
    assert shingles("") == frozenset() and shingles("...") == frozenset()
    assert len(shingles("a b c d e")) == 3 and shingles("a b c d e") > shingles("a b c d")
    # Words whose CRC-32 is one: still different words.
    assert shingles("the plumless dog ran") != shingles("the buckeroo dog ran")


def test_shingles_are_the_same_in_another_process() -> None:
    """A generation is written by one process (or a Ray worker) and read by others: the hashes cannot be
    Python's, which each process salts."""
    text = "The workers held Paris for seventy two days; the Versaillais came back. L'été, Été."
    code = "from generation.shingles import shingle_hashes as s; import sys; print(s(sys.argv[1]).tolist())"
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(REPO)}
        out = subprocess.run([sys.executable, "-c", code, text], env=env, capture_output=True, text=True)
        assert out.returncode == 0, out.stderr
        assert out.stdout.strip() == str(shingle_hashes(text).tolist())


def test_a_file_of_shingles_gives_each_row_back(tmp_path: Path) -> None:
    texts = ["a first passage of words", "", "one", "a second passage, of words!"]
    write_shingles(texts)(tmp_path / "shingles.npy")
    stored = ShingleFile(tmp_path / "shingles.npy")
    assert len(stored) == 4
    assert [stored[i] for i in range(4)] == [shingles(t) for t in texts]
    with pytest.raises(IndexError):
        stored[4]
    with pytest.raises(IndexError):
        stored[-1]
    offsets = offsets_path(tmp_path / "shingles.npy")
    for bad in ([], [0, 5, 0, 0], [1, 2, 3, 4, 5], [0, 1, 2]):
        np.save(offsets, np.asarray(bad, dtype=np.int64))
        with pytest.raises(ValueError, match="offsets"):
            ShingleFile(tmp_path / "shingles.npy")
    offsets.write_bytes(b"not an array")
    with pytest.raises(ValueError):
        ShingleFile(tmp_path / "shingles.npy")


def test_a_generation_stores_every_passages_shingles(
    fake_essay_settings: Settings, fake: FakeEmbedder
) -> None:
    """Oracle: the stored set of every passage equals the one made from its text."""
    gen = store.open_current(fake_essay_settings.index_dir, fake.info.fingerprint, fake.info.dim)
    assert gen.shingles is not None and len(gen.shingles) == len(gen.passages)
    assert store.SHINGLES_FILE in gen.manifest["files"]
    for row, passage in enumerate(gen.passages):
        assert gen.shingles[row] == shingles(passage.text), passage.passage_id
