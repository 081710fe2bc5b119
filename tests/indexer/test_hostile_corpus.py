"""A corpus with anything in it: each file is indexed correctly or skipped with a reason; no crash."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from generation import store
from indexer.settings import BuildSettings
from tests.corpus import index
from tests.fakes import FakeEmbedder

XSS = "<img src=x onerror=alert(1)>"


def hostile_corpus(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "latin1.txt").write_bytes("Les Communards réclamaient la journée de travail.".encode("latin-1"))
    (root / "bom.txt").write_bytes(b"\xef\xbb\xbfA file with a byte order mark.")
    (root / "crlf.txt").write_bytes(b"First line.\r\n\r\nSecond paragraph.\r\n")
    (root / "big.txt").write_text(("A sentence about the Commune and the soviets. " * 20 + "\n\n") * 5600)
    (root / "oneline.txt").write_text(" ".join(f"word{i % 211}" for i in range(33_000)))
    (root / "empty.txt").write_text("")
    (root / "binary.txt").write_bytes(bytes(range(256)) * 40)
    (root / "loop.txt").symlink_to(root / "loop.txt")
    (root / "dangling.md").symlink_to(root / "missing-target.md")
    os.mkfifo(root / "fifo.txt")
    locked = root / "locked.txt"
    locked.write_text("Secret text.")
    locked.chmod(0)
    (root / "xss.txt").write_text(f"Payload\n\nThe heading hides {XSS} in plain text.\n")
    return root


def test_hostile_corpus_builds_and_reports_every_skipped_file(tmp_path: Path) -> None:
    corpus = hostile_corpus(tmp_path / "corpus")
    fake = FakeEmbedder()
    settings = BuildSettings(
        corpus_dir=corpus, index_dir=tmp_path / "index", skip_bad_files=True, export_query_encoder=False
    )
    summary = index(settings, fake)
    skipped = {s.doc_id: s.reason for s in summary.skipped}
    assert skipped["empty.txt"] == "is empty"
    assert "binary" in skipped["binary.txt"]
    assert "cannot be read" in skipped["loop.txt"] and "cannot be read" in skipped["dangling.md"]
    assert skipped["fifo.txt"] == "is not a regular file"
    indexed = set(store.open_current(settings.index_dir).documents)
    expected = {"latin1.txt", "bom.txt", "crlf.txt", "big.txt", "oneline.txt", "xss.txt"}
    if os.geteuid() != 0:  # root reads any file whatever its mode
        assert "cannot be read" in skipped["locked.txt"]
    else:
        expected.add("locked.txt")
    assert indexed == expected
    gen = store.open_current(settings.index_dir)
    texts = {doc_id: doc.text for doc_id, doc in gen.documents.items()}  # each read once
    assert texts["latin1.txt"].startswith("Les Communards réclamaient")
    assert texts["bom.txt"] == "A file with a byte order mark."
    assert "\r" not in texts["crlf.txt"]
    for p in gen.passages:
        assert texts[p.doc_id][p.start : p.end] == p.text
        assert len(p.text) <= 1400
    assert any(XSS in p.text for p in gen.passages)


def test_without_skipping_the_build_names_every_bad_file_and_publishes_nothing(tmp_path: Path) -> None:
    corpus = hostile_corpus(tmp_path / "corpus")
    fake = FakeEmbedder()
    settings = BuildSettings(corpus_dir=corpus, index_dir=tmp_path / "index", export_query_encoder=False)
    from indexer.build import BuildError

    with pytest.raises(BuildError) as err:
        index(settings, fake)
    for name in ("empty.txt", "binary.txt", "loop.txt", "fifo.txt"):
        assert name in str(err.value)
    assert store.read_current(settings.index_dir) is None
