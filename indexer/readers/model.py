"""Owns the reader result (Extracted) and the builder every structured reader writes its text with."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_BLANK_LINES = re.compile(r"\n[ \t]*\n[\s]*")
_SPACES = re.compile(r"[ \t\u00a0]+")
# Inside a paragraph: the next character is the first of a new page (NUL: never in extracted text).
PAGE_BREAK = "\x00"


class ReaderError(ValueError):
    """A file cannot be read; the message is the reason shown in the build summary."""


@dataclass(frozen=True, slots=True)
class Extracted:
    text: str  # what is indexed and shown; every offset points into it
    title: str | None  # the document's own title (metadata or first heading), if it has one
    format: str  # "txt", "md", "pdf", "html", "epub", "docx"
    reader: str  # the library (and version) that read it
    encoding: str = "utf-8"
    # Start offsets of paragraphs that are headings; None: the plain-text heuristics decide.
    headings: tuple[int, ...] | None = None
    page_starts: tuple[int, ...] = ()  # offset where each page begins (PDF); empty elsewhere


@dataclass(slots=True)
class TextBuilder:
    """Paragraphs joined by blank lines (the chunker's paragraph break), with heading and page offsets."""

    parts: list[str] = field(default_factory=list)
    length: int = 0
    headings: list[int] = field(default_factory=list)
    page_starts: list[int] = field(default_factory=list)

    def paragraph(self, text: str, heading: bool = False) -> None:
        """Add a paragraph; a PAGE_BREAK character inside it marks where a new page begins."""
        # No blank line inside a paragraph (it would split it); runs of spaces collapsed.
        text = _BLANK_LINES.sub("\n", _SPACES.sub(" ", text)).strip(" \t\n")
        if heading:
            text = " ".join(text.split())
        if not text.replace(PAGE_BREAK, "").strip():
            return
        if self.parts:
            self.parts.append("\n\n")
            self.length += 2
        if heading:
            self.headings.append(self.length)
        pieces = text.split(PAGE_BREAK)
        for i, piece in enumerate(pieces):
            if i:
                self.page_starts.append(self.length)
            self.parts.append(piece)
            self.length += len(piece)

    def page(self) -> None:
        """The next paragraph starts a new page."""
        self.page_starts.append(self.length + (2 if self.parts else 0))

    @property
    def text(self) -> str:
        return "".join(self.parts)

    def result(self, title: str | None, fmt: str, reader: str) -> Extracted:
        text = self.text
        if not text.strip():
            raise ReaderError("has no extractable text")
        return Extracted(
            text, title, fmt, reader, headings=tuple(self.headings), page_starts=tuple(self.page_starts)
        )
