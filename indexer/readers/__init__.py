"""Owns turning a file of any supported format into extracted text: which reader for which suffix, and
the common result (text, heading paragraphs, page starts, title) that chunking and everything after use."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from indexer.readers.model import Extracted, ReaderError, TextBuilder

Reader = Callable[[bytes, str], Extracted]


def _readers() -> dict[str, Reader]:
    # Imported on first use: a corpus of .txt files never loads pdfium or lxml.
    from indexer.readers import docx, epub, html, markdown, pdf, text

    return {
        ".txt": text.read,
        ".md": markdown.read,
        ".markdown": markdown.read,
        ".pdf": pdf.read,
        ".html": html.read,
        ".htm": html.read,
        ".xhtml": html.read,
        ".epub": epub.read,
        ".docx": docx.read,
    }


SUFFIXES = (".txt", ".md", ".markdown", ".pdf", ".html", ".htm", ".xhtml", ".epub", ".docx")


def read_bytes(raw: bytes, name: str) -> Extracted:
    """Extract a file's text by its suffix; ReaderError says why a file cannot be read."""
    reader = _readers().get(Path(name).suffix.lower())
    if reader is None:
        raise ReaderError(f"has an unsupported suffix (supported: {', '.join(SUFFIXES)})")
    return reader(raw, name)


__all__ = ["SUFFIXES", "Extracted", "ReaderError", "TextBuilder", "read_bytes"]
