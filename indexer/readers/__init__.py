"""Owns turning a file of any supported format into extracted text: which reader for which suffix, and
the common result (text, heading paragraphs, page starts, title) that chunking and everything after use."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from indexer.readers.archive import (
    COMPRESSED_SUFFIXES,
    MAX_UNCOMPRESSED,
    compression_of,
    decompress,
    inner_name,
)
from indexer.readers.model import Extracted, ReaderError, TextBuilder

Reader = Callable[[bytes, str], Extracted]


def _readers() -> dict[str, Reader]:
    # Imported on first use: a corpus of .txt files never loads pdfium or lxml.
    from indexer.readers import docx, epub, html, markdown, pdf, rst, text

    return {
        ".txt": text.read,
        ".md": markdown.read,
        ".markdown": markdown.read,
        ".rst": rst.read,
        ".pdf": pdf.read,
        ".html": html.read,
        ".htm": html.read,
        ".xhtml": html.read,
        ".epub": epub.read,
        ".docx": docx.read,
    }


SUFFIXES = (".txt", ".md", ".markdown", ".rst", ".pdf", ".html", ".htm", ".xhtml", ".epub", ".docx")


def readable(name: str) -> bool:
    """Whether a reader takes a file of this name, compressed whole or not ("manual.pdf.gz")."""
    return inner_name(name).lower().endswith(SUFFIXES)


# Markup saved as text: Sphinx copies each page's source beside its HTML as `_sources/page.rst.txt`
# (`page.md.txt`), which the text reader would show with its markup (":func:`~os.path.join`").
MARKUP_AS_TEXT = (".rst", ".md", ".markdown")


def source_name(name: str) -> str:
    """The name a file is read as: without its compression ("notes.txt.gz" -> "notes.txt") and, for markup
    saved as text, without the ".txt" ("page.rst.txt" -> "page.rst")."""
    name = inner_name(name)
    path = Path(name)
    if path.suffix.lower() == ".txt" and Path(path.stem).suffix.lower() in MARKUP_AS_TEXT:
        return path.stem
    return name


def read_bytes(raw: bytes, name: str, max_bytes: int = MAX_UNCOMPRESSED) -> Extracted:
    """Extract a file's text by its suffix, inflating a compressed one first (to at most `max_bytes`);
    ReaderError says why a file cannot be read."""
    reader = _readers().get(Path(source_name(name)).suffix.lower())
    if reader is None:
        raise ReaderError(
            f"has an unsupported suffix (supported: {', '.join(SUFFIXES)}, "
            f"each also compressed as {', '.join(COMPRESSED_SUFFIXES)})"
        )
    suffix = compression_of(name)
    if suffix:
        raw = decompress(raw, suffix, max_bytes, name)
    return reader(raw, inner_name(name))


__all__ = [
    "COMPRESSED_SUFFIXES",
    "SUFFIXES",
    "Extracted",
    "ReaderError",
    "TextBuilder",
    "inner_name",
    "read_bytes",
    "readable",
    "source_name",
]
