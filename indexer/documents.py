"""Owns reading a corpus folder into Documents: discovery, size limits, the reader for each format
(indexer.readers), and titles."""

from __future__ import annotations

import hashlib
import os
import re
import stat
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from generation.records import Mark
from indexer.chunking import heading_of, split_paragraphs
from indexer.readers import ReaderError, inner_name, read_bytes, readable, source_name

DEFAULT_MAX_BYTES = 20_000_000
# Example questions for the start page, one per line; hidden, so never indexed as a document.
EXAMPLES_FILE = ".examples.txt"
MAX_EXAMPLES = 8


@dataclass(frozen=True, slots=True)
class Document:
    doc_id: str  # path relative to the corpus dir, POSIX separators
    text: str  # decoded text, newlines normalised to \n; all offsets point into this
    sha256: str  # of the raw bytes on disk
    title: str
    encoding: str = "utf-8"
    format: str = "txt"  # txt, md, rst, pdf, html, epub, docx
    reader: str = "builtin"  # the library and version that extracted the text
    headings: tuple[int, ...] | None = None  # heading paragraph starts; None: plain-text heuristics
    page_starts: tuple[int, ...] = ()  # PDF: offset where each page begins
    marks: tuple[Mark, ...] = ()  # code and tables as the reader found them


@dataclass(frozen=True, slots=True)
class SkippedFile:
    doc_id: str
    reason: str


@dataclass(slots=True)
class Corpus:
    documents: list[Document] = field(default_factory=list)
    problems: list[SkippedFile] = field(default_factory=list)
    # Files of formats no reader takes, by suffix ("changelog.gz", "copyright" in a Debian doc folder).
    other_formats: dict[str, int] = field(default_factory=dict)
    # Linked folders, not followed: "docs -> /usr/share/developers-reference" (Debian links its manuals).
    linked_folders: list[str] = field(default_factory=list)


class CorpusError(Exception):
    """The corpus cannot be indexed (missing folder, no readable document, or a bad file)."""


# Words of the file name and of a title line: a version number ("copyright-format-1.0") names nothing.
_WORDS = re.compile(r"[^\W\d_][^\W_]*")
_LETTERS = re.compile(r"[^\W\d_]{2}")
LEADING_LINES = 5  # title lines are looked for among the heading-like lines before the first paragraph


def _title_from_name(doc_id: str) -> str:
    # A Sphinx source, "page.rst.txt", is titled "Page".
    stem = Path(source_name(doc_id)).stem.replace("_", " ").replace("-", " ").strip()
    return stem[:1].upper() + stem[1:] if stem else doc_id


def title_for(doc_id: str, text: str) -> str:
    """A plain-text document's own title where it has one, else one made from the file name.

    Among the heading-like lines that open the document
    (before its first paragraph), the one sharing most words with the file name, else the first one
    (an essay opens with its title line, sometimes after a "From ..." attribution line)."""
    leading: list[str] = []
    for start, end in split_paragraphs(text)[:LEADING_LINES]:
        heading = heading_of(text[start:end], markdown=False)
        if heading is None:
            break
        leading.append(heading.strip())
    if not leading:
        return _title_from_name(doc_id)
    name_words = set(_WORDS.findall(Path(inner_name(doc_id)).stem.lower()))
    overlap = [len(name_words & set(_WORDS.findall(line.lower()))) for line in leading]
    # A line that is only a section number ("A.2.") names nothing: any other line is a better title.
    named = [bool(_LETTERS.search(line)) for line in leading]
    best = max(range(len(leading)), key=lambda i: (named[i], overlap[i], -i))
    return leading[best]


def _files(corpus_dir: Path) -> tuple[list[Path], list[str]]:
    """Every file under corpus_dir, sorted; hidden entries skipped; symlinked folders not followed (a link
    may lead out of the folder, or back into it) but named ("docs -> /usr/share/developers-reference")."""
    found: list[Path] = []
    links: list[str] = []
    for dirpath, dirnames, filenames in os.walk(corpus_dir, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for link in (Path(dirpath) / d for d in dirnames):
            # A link that leads back into the folder names nothing the build misses.
            target = _target(link) if link.is_symlink() else None
            if target is not None and not _inside(target, corpus_dir):
                links.append(f"{link.relative_to(corpus_dir).as_posix()} -> {target}")
        found += [Path(dirpath) / name for name in sorted(filenames) if not name.startswith(".")]
    return found, links


def _target(link: Path) -> str:
    """Where a link leads, as a full path when it resolves (a loop further on does not: its own text)."""
    try:
        return str(link.resolve())
    except (OSError, RuntimeError):
        return os.readlink(link)


def _inside(target: str, corpus_dir: Path) -> bool:
    return Path(target).is_absolute() and Path(target).is_relative_to(corpus_dir.resolve())


def survey(corpus_dir: Path) -> tuple[list[Path], Corpus]:
    """The files of a readable format under corpus_dir, sorted (hidden entries skipped, symlinked folders
    not followed), and an empty corpus that says what the build did not read: how many other files by
    suffix ("no suffix" for none), most first, and the linked folders."""
    paths, links = _files(corpus_dir)
    others = Counter(path.suffix.lower() or "no suffix" for path in paths if not readable(path.name))
    documents = [path for path in paths if readable(path.name)]
    return documents, Corpus(other_formats=dict(others.most_common()), linked_folders=links)


def read_document(path: Path, corpus_dir: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> Document:
    """Read one file; raise ValueError with a human reason when it cannot be indexed."""
    doc_id = path.relative_to(corpus_dir).as_posix()
    try:
        info = path.stat()  # follows symlinks: a loop or a dangling link fails here
        if not stat.S_ISREG(info.st_mode):
            # A FIFO or device named *.txt would block or never end: never open it.
            raise ValueError("is not a regular file")
        if info.st_size > max_bytes:
            raise ValueError(
                f"is {info.st_size:,} bytes, over the limit of {max_bytes:,} (SEMSEARCH_MAX_FILE_BYTES)"
            )
        raw = path.read_bytes()
    except OSError as exc:
        raise ValueError(f"cannot be read ({exc.strerror or exc})") from None
    try:
        extracted = read_bytes(raw, doc_id, max_bytes)  # its path: what a warning names
    except ReaderError:
        raise
    except Exception as exc:  # a library failing on a hostile file: that file's problem, not the build's
        raise ValueError(f"cannot be read ({type(exc).__name__}: {exc})") from None
    title = extracted.title or (
        title_for(doc_id, extracted.text) if extracted.format == "txt" else _title_from_name(doc_id)
    )
    return Document(
        doc_id,
        extracted.text,
        hashlib.sha256(raw).hexdigest(),
        title,
        extracted.encoding,
        extracted.format,
        extracted.reader,
        extracted.headings,
        extracted.page_starts,
        extracted.marks,
    )


def example_questions(corpus_dir: Path) -> list[str]:
    """The corpus's example questions (its .examples.txt), if it has any that can be read."""
    try:
        raw = (corpus_dir / EXAMPLES_FILE).read_bytes()[:64_000]
    except OSError:
        return []
    lines = raw.decode("utf-8", errors="replace").splitlines()
    return [line.strip()[:200] for line in lines if line.strip() and not line.startswith("#")][:MAX_EXAMPLES]


def load_corpus(corpus_dir: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> Corpus:
    """Read every document under corpus_dir; files that cannot be indexed are listed in `problems`."""
    if not corpus_dir.is_dir():
        raise CorpusError(f"corpus folder {str(corpus_dir)!r} does not exist or is not a folder")
    paths, corpus = survey(corpus_dir)
    for path in paths:
        try:
            corpus.documents.append(read_document(path, corpus_dir, max_bytes))
        except ValueError as exc:
            corpus.problems.append(SkippedFile(path.relative_to(corpus_dir).as_posix(), str(exc)))
    return corpus
