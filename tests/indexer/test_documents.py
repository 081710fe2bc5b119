"""Every readable .txt/.md file under the corpus is loaded; problems are reported by file, with a reason."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from indexer.build import BuildSummary
from indexer.documents import CorpusError, load_corpus


def test_loads_txt_and_md_recursively_with_normalised_text(tmp_path: Path) -> None:
    (tmp_path / "sub" / "deeper").mkdir(parents=True)
    (tmp_path / "a.txt").write_bytes(b"\xef\xbb\xbfBOM first line\r\nsecond\r\n")
    (tmp_path / "sub" / "b.md").write_text("# Notes title\n\nBody.\n", encoding="utf-8")
    (tmp_path / "sub" / "deeper" / "c.txt").write_bytes("caf\xe9 cr\xe8me".encode("latin-1"))
    (tmp_path / "ignored.odt").write_bytes(b"PK")
    (tmp_path / ".hidden.txt").write_text("secret")
    corpus = load_corpus(tmp_path)
    docs = {d.doc_id: d for d in corpus.documents}
    assert sorted(docs) == ["a.txt", "sub/b.md", "sub/deeper/c.txt"]
    assert docs["a.txt"].text == "BOM first line\nsecond\n"
    assert docs["sub/b.md"].title == "Notes title"
    assert docs["sub/deeper/c.txt"].text == "café crème"
    assert not corpus.problems
    assert corpus.other_formats == {".odt": 1}


def test_a_sphinx_builds_sources_are_read_as_their_markup_and_titled_without_it(tmp_path: Path) -> None:
    """`_sources/page.rst.txt` beside the page's HTML: read as reStructuredText; with no title of its own,
    it is titled from its name without the markup's suffix ("Install guide", not "Install guide.rst")."""
    (tmp_path / "_sources").mkdir()
    (tmp_path / "_sources" / "install_guide.rst.txt").write_text("Run :command:`make` first.\n")
    (tmp_path / "_sources" / "usage.md.txt").write_text("# Usage\n\nCall *it*.\n")
    docs = {d.doc_id: d for d in load_corpus(tmp_path).documents}
    assert (docs["_sources/install_guide.rst.txt"].title, docs["_sources/install_guide.rst.txt"].text) == (
        "Install guide",
        "Run make first.",
    )
    assert (docs["_sources/usage.md.txt"].format, docs["_sources/usage.md.txt"].title) == ("md", "Usage")


def test_junk_after_a_compressed_files_last_stream_is_logged_with_the_files_path(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Debian has many `README.md.gz`: the warning names the one under the corpus folder it is about."""
    (tmp_path / "pkg-b").mkdir()
    (tmp_path / "pkg-b" / "README.md.gz").write_bytes(gzip.compress(b"# Read me\n\nText.\n") + b"junk")
    assert [d.text for d in load_corpus(tmp_path).documents] == ["Read me\n\nText."]
    assert "pkg-b/README.md.gz: 4 bytes after the last whole stream ignored" in caplog.text


def test_files_no_reader_takes_are_counted_by_suffix_for_the_summary(tmp_path: Path) -> None:
    """A Debian documentation folder: the manual beside its compressed changelogs and a licence file."""
    (tmp_path / "html").mkdir()
    (tmp_path / "html" / "index.html").write_text("<h1>Manual</h1><p>Read me.</p>")
    for name in ("changelog.gz", "changelog.Debian.gz", "copyright"):
        (tmp_path / name).write_bytes(b"x")
    corpus = load_corpus(tmp_path)
    assert [d.doc_id for d in corpus.documents] == ["html/index.html"]
    assert corpus.other_formats == {".gz": 2, "no suffix": 1}
    summary = BuildSummary("g", 1, 1, 1, 0, 0, 1, "reused", 0.1, other_formats=corpus.other_formats)
    assert "not read    3 files of other formats (.gz 2, no suffix 1; read: .txt, .md" in summary.render()


def test_a_debian_doc_folders_compressed_manuals_are_read_and_capped_inflated(tmp_path: Path) -> None:
    """`/usr/share/doc/<package>` holds its manuals gzipped: each is read under its own name, titled from
    its text, and `SEMSEARCH_MAX_FILE_BYTES` limits what a file inflates to, not only its size on disk."""
    manual = "Debian Policy Manual\n********************\n\nThis manual describes the policy.\n"
    (tmp_path / "policy.txt.gz").write_bytes(gzip.compress(manual.encode()))
    (tmp_path / "big.txt.gz").write_bytes(gzip.compress(b"Words and more words. " * 100_000))
    (tmp_path / "changelog.Debian.gz").write_bytes(gzip.compress(b"pkg (1.0) unstable; urgency=low"))
    corpus = load_corpus(tmp_path, max_bytes=1_000_000)
    assert [(d.doc_id, d.format, d.title, d.text) for d in corpus.documents] == [
        ("policy.txt.gz", "txt", "Debian Policy Manual", manual)
    ]
    assert [p.doc_id for p in corpus.problems] == ["big.txt.gz"]
    assert "inflates to over 1,000,000 bytes" in corpus.problems[0].reason
    assert "SEMSEARCH_MAX_FILE_BYTES" in corpus.problems[0].reason
    assert corpus.other_formats == {".gz": 1}, "a changelog is no manual"


def test_a_linked_folder_is_not_followed_but_named_with_what_to_do(tmp_path: Path) -> None:
    """Debian links a package's manual into its doc folder (docs -> ../../developers-reference): the build
    says so, rather than finding nothing without a word."""
    from indexer.build import BuildError, check_corpus
    from indexer.settings import BuildSettings

    manual, folder = tmp_path / "manual", tmp_path / "doc"
    manual.mkdir()
    folder.mkdir()
    (manual / "index.html").write_text("<h1>Manual</h1><p>Read me.</p>")
    (folder / "copyright").write_text("GPL")
    (folder / "docs").symlink_to(manual, target_is_directory=True)
    corpus = load_corpus(folder)
    assert corpus.documents == [] and corpus.linked_folders == [f"docs -> {manual.resolve()}"]
    with pytest.raises(
        BuildError, match=r"no readable document in .*; 1 linked folder, not followed: docs -> "
    ):
        check_corpus(corpus, BuildSettings(corpus_dir=folder))
    (folder / "notes.txt").write_text("Some notes.")
    (folder / "again").symlink_to(folder, target_is_directory=True)  # back into the folder: nothing missed
    corpus = load_corpus(folder)
    summary = BuildSummary("g", 1, 1, 1, 0, 0, 1, "reused", 0.1, linked_folders=corpus.linked_folders)
    assert f"not read    1 linked folder, not followed: docs -> {manual.resolve()}" in summary.render()
    assert "SEMSEARCH_CORPUS_DIR" in summary.render()


def test_empty_binary_and_unreadable_files_are_reported(tmp_path: Path) -> None:
    (tmp_path / "good.txt").write_text("Fine text.")
    (tmp_path / "empty.txt").write_text("  \n\n")
    (tmp_path / "bin.txt").write_bytes(b"\x00\x01\x02" * 100)
    (tmp_path / "loop.txt").symlink_to(tmp_path / "loop.txt")
    corpus = load_corpus(tmp_path)
    problems = {p.doc_id: p.reason for p in corpus.problems}
    assert [d.doc_id for d in corpus.documents] == ["good.txt"]
    assert problems["empty.txt"] == "is empty"
    assert "binary" in problems["bin.txt"]
    assert "cannot be read" in problems["loop.txt"]


def test_missing_corpus_folder_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(CorpusError, match="does not exist"):
        load_corpus(tmp_path / "nope")
