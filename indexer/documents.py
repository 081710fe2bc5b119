"""Owns reading a corpus folder into Documents: discovery, decoding, newline normalisation, titles."""

from __future__ import annotations

import hashlib
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path

from indexer.chunking import heading_of, split_paragraphs

SUFFIXES = (".txt", ".md")
BINARY_SNIFF_BYTES = 8192
DEFAULT_MAX_BYTES = 20_000_000


@dataclass(frozen=True, slots=True)
class Document:
    doc_id: str  # path relative to the corpus dir, POSIX separators
    text: str  # decoded text, newlines normalised to \n; all offsets point into this
    sha256: str  # of the raw bytes on disk
    title: str
    encoding: str = "utf-8"


@dataclass(frozen=True, slots=True)
class SkippedFile:
    doc_id: str
    reason: str


@dataclass(slots=True)
class Corpus:
    documents: list[Document] = field(default_factory=list)
    problems: list[SkippedFile] = field(default_factory=list)


class CorpusError(Exception):
    """The corpus cannot be indexed (missing folder, no readable document, or a bad file)."""


def decode(raw: bytes) -> tuple[str, str]:
    """Decode bytes as UTF-8 (BOM allowed), else Windows-1252/Latin-1; raise ValueError for binary data."""
    if b"\x00" in raw[:BINARY_SNIFF_BYTES]:
        raise ValueError("looks binary (contains NUL bytes)")
    try:
        text, encoding = raw.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        try:
            text, encoding = raw.decode("cp1252"), "cp1252"
        except UnicodeDecodeError:
            text, encoding = raw.decode("latin-1"), "latin-1"
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    controls = sum(1 for ch in text[:BINARY_SNIFF_BYTES] if ord(ch) < 32 and ch not in "\n\t\f\v")
    if controls > max(8, len(text[:BINARY_SNIFF_BYTES]) // 100):
        raise ValueError("looks binary (many control characters)")
    return text, encoding


_MD_H1 = re.compile(r"^#\s+(.+?)\s*#*\s*$", re.MULTILINE)
_WORDS = re.compile(r"[a-z0-9]+")
LEADING_LINES = 5  # title lines are looked for among the heading-like lines before the first paragraph


def _title_from_name(doc_id: str) -> str:
    stem = Path(doc_id).stem.replace("_", " ").replace("-", " ").strip()
    return stem[:1].upper() + stem[1:] if stem else doc_id


def title_for(doc_id: str, text: str) -> str:
    """The document's own title where it has one, else one made from the file name.

    Markdown: the first level-1 heading. Plain text: among the heading-like lines that open the document
    (before its first paragraph), the one sharing most words with the file name, else the first one
    (an essay opens with its title line, sometimes after a "From ..." attribution line)."""
    if doc_id.endswith(".md"):
        match = _MD_H1.search(text)
        return match.group(1) if match else _title_from_name(doc_id)
    leading: list[str] = []
    for start, end in split_paragraphs(text)[:LEADING_LINES]:
        heading = heading_of(text[start:end], markdown=False)
        if heading is None:
            break
        leading.append(heading.strip())
    if not leading:
        return _title_from_name(doc_id)
    name_words = set(_WORDS.findall(Path(doc_id).stem.lower()))
    overlap = [len(name_words & set(_WORDS.findall(line.lower()))) for line in leading]
    best = max(range(len(leading)), key=lambda i: (overlap[i], -i))
    return leading[best]


def discover(corpus_dir: Path) -> list[Path]:
    """Every .txt/.md file under corpus_dir, sorted; hidden entries skipped; symlinked dirs not followed."""
    found: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(corpus_dir, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if not name.startswith(".") and name.lower().endswith(SUFFIXES):
                found.append(Path(dirpath) / name)
    return found


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
    text, encoding = decode(raw)
    if not text.strip():
        raise ValueError("is empty")
    return Document(doc_id, text, hashlib.sha256(raw).hexdigest(), title_for(doc_id, text), encoding)


def load_corpus(corpus_dir: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> Corpus:
    """Read every document under corpus_dir; files that cannot be indexed are listed in `problems`."""
    if not corpus_dir.is_dir():
        raise CorpusError(f"corpus folder {str(corpus_dir)!r} does not exist or is not a folder")
    corpus = Corpus()
    for path in discover(corpus_dir):
        try:
            corpus.documents.append(read_document(path, corpus_dir, max_bytes))
        except ValueError as exc:
            corpus.problems.append(SkippedFile(path.relative_to(corpus_dir).as_posix(), str(exc)))
    return corpus
