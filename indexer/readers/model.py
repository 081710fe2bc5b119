"""Owns the reader result (Extracted) and the builder every structured reader writes its text with."""

from __future__ import annotations

import re
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass, field

from generation.records import Mark, sorted_marks

_BLANK_LINES = re.compile(r"\n[ \t\f\v]*\n[\s]*")  # as the chunker's paragraph break: \f and \v too
_SPACES = re.compile(r"[ \t\u00a0]+")
# Inside a paragraph: the next character is the first of a new page (NUL: never in extracted text).
PAGE_BREAK = "\x00"
# Around code inside a paragraph (private-use characters: a reader removes them from the text it reads).
CODE_OPEN, CODE_CLOSE = "\ue000", "\ue001"
_CONTROLS = re.compile(f"([{PAGE_BREAK}{CODE_OPEN}{CODE_CLOSE}])")
_CONTROL_CHARS = frozenset([PAGE_BREAK, CODE_OPEN, CODE_CLOSE])
_CODE_SPACES = re.compile(f" ([{CODE_OPEN}{CODE_CLOSE}]+) ")  # "run {{ ls }}": one space, not two
TableRow = Sequence[tuple[str, bool]]  # a row's cells: (text, is a header cell)


def plain(text: str) -> str:
    """Text from a document with this module's control characters taken out."""
    return text.translate({ord(PAGE_BREAK): None, ord(CODE_OPEN): None, ord(CODE_CLOSE): None})


class ReaderError(ValueError):
    """A file cannot be read; the message is the reason shown in the build summary."""


def _edges_trimmed(pieces: list[str], keep_indent: bool) -> list[str]:
    """A paragraph's pieces (text and control characters) without white space at its end, nor at its
    start unless `keep_indent` (a code block's first line). No regular expression: a long run of spaces
    would make one backtrack."""
    texts = [i for i, piece in enumerate(pieces) if piece and piece not in _CONTROL_CHARS]
    for i in reversed(texts):
        pieces[i] = pieces[i].rstrip()
        if pieces[i]:
            break
    for i in [] if keep_indent else texts:
        pieces[i] = pieces[i].lstrip()
        if pieces[i]:
            break
    return pieces


SOFT_HYPHEN = "\u00ad"  # a place a word may break; invisible, and it would split the word in two terms


def _one_line(text: str) -> str:
    """A cell's text on one line, without white space at its edges (around its code marks too)."""
    text = " ".join(text.replace(SOFT_HYPHEN, "").split())
    return "".join(_edges_trimmed(_CONTROLS.split(text), keep_indent=False))


@dataclass(frozen=True, slots=True)
class Extracted:
    text: str  # what is indexed and shown; every offset points into it
    title: str | None  # the document's own title (metadata or first heading), if it has one
    format: str  # "txt", "md", "rst", "pdf", "html", "epub", "docx"
    reader: str  # the library (and version) that read it
    encoding: str = "utf-8"
    # Start offsets of paragraphs that are headings; None: the plain-text heuristics decide.
    headings: tuple[int, ...] | None = None
    page_starts: tuple[int, ...] = ()  # offset where each page begins (PDF); empty elsewhere
    marks: tuple[Mark, ...] = ()  # code and tables as the reader found them (generation/records.py)


@dataclass(slots=True)
class TextBuilder:
    """Paragraphs joined by blank lines (the chunker's paragraph break), with heading and page offsets
    and marks for code and tables."""

    parts: list[str] = field(default_factory=list)
    length: int = 0
    headings: list[int] = field(default_factory=list)
    page_starts: list[int] = field(default_factory=list)
    marks: list[Mark] = field(default_factory=list)

    def paragraph(self, text: str, heading: bool = False) -> tuple[int, int] | None:
        """Add a paragraph, returning where it is (None if it was empty): a PAGE_BREAK character inside
        it marks where a new page begins, CODE_OPEN and CODE_CLOSE the code inside it."""
        # No blank line inside a paragraph (it would split it); runs of spaces collapsed.
        text = _BLANK_LINES.sub("\n", _SPACES.sub(" ", text.replace(SOFT_HYPHEN, ""))).strip(" \t\n")
        if heading:
            text = " ".join(text.split())
        return self._add(_CODE_SPACES.sub(r" \1", text), heading)

    def code(self, text: str) -> tuple[int, int] | None:
        """Add a block of code as a paragraph that keeps its lines and indentation (blank lines, which
        would end the paragraph, are dropped)."""
        # Line by line, not by regular expression: a long run of spaces would make one backtrack.
        lines = [line.rstrip() for line in plain(text).replace(SOFT_HYPHEN, "").expandtabs(8).split("\n")]
        span = self._add(textwrap.dedent("\n".join(line for line in lines if line)), keep_indent=True)
        if span:
            self.marks.append((*span, "pre"))
        return span

    def table(self, rows: Sequence[TableRow]) -> None:
        """Add a table: a paragraph per row, its cells joined by " | ", each cell marked."""
        first = len(self.marks)
        span_start = span_end = None
        for row in rows:
            # A cell's text may mark code (CODE_OPEN ... CODE_CLOSE); its offsets count what is written.
            cells = [(_one_line(t), header) for t, header in row]
            if not any(plain(t) for t, _ in cells):
                continue
            span = self._add(" | ".join(t for t, _ in cells))
            joined = " | ".join(plain(t) for t, _ in cells)
            if span is None:
                continue
            span_start = span[0] if span_start is None else span_start
            span_end = span[1]
            self.marks.append((*span, "row"))
            # An empty first or last cell leaves its separator's space trimmed off the row's edge.
            at = span[0] - (len(joined) - len(joined.lstrip()))
            for t, header in cells:
                width = len(plain(t))
                first, last = (min(max(x, span[0]), span[1]) for x in (at, at + width))
                self.marks.append((first, last, "th" if header else "td"))
                at += width + 3
        if span_start is not None and span_end is not None:
            self.marks.insert(first, (span_start, span_end, "table"))

    def _add(self, text: str, heading: bool = False, keep_indent: bool = False) -> tuple[int, int] | None:
        if not plain(text).strip():
            return None
        if self.parts:
            self.parts.append("\n\n")
            self.length += 2
        start = self.length
        if heading:
            self.headings.append(self.length)
        written: list[str] = []  # this paragraph's text so far
        at = 0  # its length
        opened: list[int] = []  # where the code still open began
        code: list[tuple[int, int]] = []
        for piece in _edges_trimmed(_CONTROLS.split(text), keep_indent):
            if piece == PAGE_BREAK:
                self.page_starts.append(start + at)
            elif piece == CODE_OPEN:
                opened.append(at)
            elif piece == CODE_CLOSE:
                if opened:
                    begin = opened.pop()
                    if not opened:  # code inside code: the outer one is marked
                        code.append((begin, at))
            elif piece:
                written.append(piece)
                at += len(piece)
        paragraph = "".join(written)
        self.parts.append(paragraph)
        self.length += at
        for begin, end in code:  # without the spaces at the code's edges
            inner = paragraph[begin:end]
            first, last = begin + len(inner) - len(inner.lstrip()), begin + len(inner.rstrip())
            if first < last:
                self.marks.append((start + first, start + last, "code"))
        return start, self.length

    @property
    def next_start(self) -> int:
        """Where the next paragraph will start (after the blank line that separates paragraphs)."""
        return self.length + (2 if self.parts else 0)

    def box(self, start: int) -> None:
        """The paragraphs from `start` to here are a titled box (a tip, a note, an example): its title heads
        them only, and what follows is under the heading before it again."""
        self._mark_since(start, "box")

    def label(self, start: int) -> None:
        """The paragraphs from `start` to here name rather than say: a definition list's term ("EAFP",
        "-S"), a figure's caption."""
        self._mark_since(start, "label")

    def _mark_since(self, start: int, kind: str) -> None:
        if start < self.length:
            self.marks.append((start, self.length, kind))

    def page(self) -> None:
        """The next paragraph starts a new page."""
        self.page_starts.append(self.next_start)

    @property
    def text(self) -> str:
        return "".join(self.parts)

    def result(self, title: str | None, fmt: str, reader: str) -> Extracted:
        text = self.text
        if not text.strip():
            raise ReaderError("has no extractable text")
        return Extracted(
            text,
            title.replace(SOFT_HYPHEN, "") if title else title,
            fmt,
            reader,
            headings=tuple(self.headings),
            page_starts=tuple(self.page_starts),
            marks=sorted_marks(self.marks),
        )
