"""Owns reading PDFs (pypdfium2: Apache-2.0/BSD, PDFium's own text layer): lines in reading order with
their geometry, paragraphs rebuilt from line spacing and indents, headings from font size, words
hyphenated across line ends joined, running headers, footers and page numbers left out, one page after
another with each page's start offset kept."""

from __future__ import annotations

import itertools
import math
import re
import statistics
from collections import Counter
from dataclasses import dataclass

from indexer.readers.model import PAGE_BREAK, Extracted, ReaderError, TextBuilder, plain

EDGE_LINES = 3  # lines at the top and bottom of a page that may be running headers or footers
HEADING_SIZE = 1.2  # type this many times the body's size is a heading
BOLD = 600  # a font weight from this up is bold
MAX_HEADING_WORDS = 12  # a bold line of at most this many words after a section number is a heading too
OUTERMOST_PAGES = 3  # a page's first or last line repeated on this many pages is a running header or footer
_DIGITS = re.compile(r"\d+")
_EDGE_NUMBER = re.compile(r"^\d{1,4}(?=\s|$)|(?<=\s)\d{1,4}$")  # a number opening or closing a line
# A line that ends inside a path, an address or a link: after a slash ("debian/"), or after a dot in a word
# holding "@" or "://" ("admin@rt.", "https://wiki.debian."). Typesetters break these without a hyphen.
_BROKEN_LINK = re.compile(r"(?:^|\s)(?:\S*[\w.~-]/|\S*(?:@|://)\S*\.)$")  # not a comment's "*/"
# A list item's marker: a bullet, or a number and a dot or parenthesis, then a space. Only a bullet opens
# a paragraph by itself ("12. It" may be a sentence's line break after "Debian").
_BULLET = re.compile(r"[•●▪◦‣∙*]\s")
_LIST_ITEM = re.compile(r"(?:[•●▪◦‣∙*]|\d{1,3}[.)])\s")
_SECTION_NUMBER = re.compile(r"\d{1,3}(?:\.\d{1,3})+\.?\s")  # "4.6.4.1 ", "2.3. "
_PAGE_NUMBER = re.compile(r"^(page\s*)?\d+(\s*(/|of)\s*\d+)?$", re.IGNORECASE)
# A hyphenation point: PDFium reports one as U+FFFE (and some files carry U+00AD or U+0002).
_SOFT_HYPHENS = ("\u00ad", "\x02", "\ufffe")
_INNER_SOFT_HYPHEN = re.compile("[\u00ad\x02\ufffe](?=(.))")
# Characters no reader can show: a non-character, and the replacement of a glyph with no Unicode mapping.
_UNSHOWABLE = dict.fromkeys(map(ord, "\uffff\ufffd"))
# A table of contents or index line: dot leaders, or a list of page numbers at the end ("term, 12, 45").
_REFERENCE_LINE = re.compile(r"(?:\.\s?){4,}\s*[\divxlc]+\s*$|,\s*\d+(?:\s*[,–-]\s*\d+)*\s*$", re.IGNORECASE)
REFERENCE_PAGE_SHARE = 0.5  # a page is a table of contents or an index when this share of its lines are
REFERENCE_PAGE_LINES = 5  # ... and at least this many


@dataclass(slots=True)
class Line:
    text: str
    left: float
    baseline: float  # PDF y: grows upwards
    size: float  # font size of its first character
    right: float = 0.0  # right edge of its last character
    bold: bool = False  # its first character is set bold (when the PDF says: weight 600 or more)


def _version() -> str:
    import pypdfium2

    return f"pypdfium2 {pypdfium2.version.PYPDFIUM_INFO}"


def _lines(textpage: object) -> list[Line]:
    import pypdfium2.raw as pdfium_c

    n = textpage.count_chars()  # type: ignore[attr-defined]
    text = textpage.get_text_range(0, n)  # type: ignore[attr-defined]
    lines: list[Line] = []
    start = 0
    for m in re.finditer(r"\r?\n|$", text):
        end = m.start()
        piece = text[start:end]
        first = next((i for i in range(start, end) if not text[i].isspace()), None)
        if first is not None and len(text) == n:
            last = max(i for i in range(start, end) if not text[i].isspace())
            left, bottom, _, _ = textpage.get_charbox(first)  # type: ignore[attr-defined]
            right = textpage.get_charbox(last)[2]  # type: ignore[attr-defined]
            size = float(pdfium_c.FPDFText_GetFontSize(textpage.raw, first))  # type: ignore[attr-defined]
            weight = int(pdfium_c.FPDFText_GetFontWeight(textpage.raw, first))  # type: ignore[attr-defined]
            lines.append(Line(_clean(piece), float(left), float(bottom), size, float(right), weight >= BOLD))
        elif piece.strip():
            lines.append(Line(_clean(piece), 0.0, 0.0, 0.0))
        start = m.end()
        if m.group(0) == "":
            break
    return lines


def _clean(line: str) -> str:
    """A line's text without unshowable characters; a hyphenation point inside it is dropped before a
    small letter ("manip-ulation") and kept as a hyphen before anything else ("All-Russia"). One at the
    line end is left for `_join`, which knows the next line."""
    line = plain(line).translate(_UNSHOWABLE).strip()
    return _INNER_SOFT_HYPHEN.sub(lambda m: "" if m.group(1).islower() else "-", line)


def _normal(line: str) -> str:
    return _DIGITS.sub("#", " ".join(line.lower().split()))


def _running(pages: list[list[Line]], heading_size: float) -> set[str]:
    """Normalised lines (digits as #) that sit at a page edge on several pages: running headers and
    footers, including those that change by chapter ("Chapter 4: Function reference 12"). Near an edge
    on a fifth of the pages, or the very first or last line of three, not set as a heading: a chapter's
    own header ("28 Chapter 4. Managing Packages") tops only that chapter's pages."""
    if len(pages) < 3:
        return set()
    seen: Counter[str] = Counter()
    outermost: Counter[str] = Counter()
    for lines in pages:
        edges = lines[:EDGE_LINES] + lines[-EDGE_LINES:]
        seen.update({_normal(line.text) for line in edges})
        # A lone word on top of pages is a label ("CHAPTER" over "ONE"), a sentence is the text's own
        # ("Hash some more data." ending three pages of a manual): neither is a header.
        outer = [
            line
            for line in lines[:1] + lines[-1:]
            if line.size < heading_size and len(line.text.split()) > 1 and line.text[-1] not in ".!?:;,"
        ]
        outermost.update({_normal(line.text) for line in outer})
    return {text for text, count in seen.items() if count >= max(3, 0.2 * len(pages))} | {
        text for text, count in outermost.items() if count >= OUTERMOST_PAGES
    }


def _edge_numbers(text: str) -> list[int]:
    """The numbers a line starts or ends with ("28 Chapter 4. Managing Packages", "4.5. The Developers
    Database 19")."""
    return [int(m.group(0)) for m in _EDGE_NUMBER.finditer(text.strip())]


def _page_number_offset(pages: list[list[Line]], heading_size: float) -> int | None:
    """What to add to a page's index to get the number printed on it, when the pages' first or last lines
    carry it (on a third of them at least): a line that carries its page's number is a running header or
    footer, whatever else it says (the section a page is in changes from page to page)."""
    offsets: Counter[int] = Counter()
    for i, lines in enumerate(pages):
        edges = [line for line in lines[:1] + lines[-1:] if line.size < heading_size]
        offsets.update({n - i for line in edges for n in _edge_numbers(line.text)})
    if not offsets:
        return None
    offset, count = offsets.most_common(1)[0]
    return offset if count >= max(3, len(pages) / 3) else None


def _strip_edges(
    lines: list[Line],
    running: set[str],
    several_pages: bool,
    page_number: int | None = None,
    heading_size: float = math.inf,
) -> list[Line]:
    """A page's lines without the running headers and footers at its top and bottom (and, given the number
    printed on the page, a line of body-size type that carries it: a chapter's "1 Introduction", set large
    on page 1, stays)."""

    def is_furniture(line: Line) -> bool:
        if several_pages and _PAGE_NUMBER.match(line.text):
            return True
        # A title that shares a header's words ("Filesystem Hierarchy Standard") stays.
        if line.size >= heading_size:
            return False
        return _normal(line.text) in running or (
            page_number is not None and page_number in _edge_numbers(line.text)
        )

    head = 0
    while head < min(EDGE_LINES, len(lines)) and is_furniture(lines[head]):
        head += 1
    tail = len(lines)
    while tail > max(head, len(lines) - EDGE_LINES) and is_furniture(lines[tail - 1]):
        tail -= 1
    return lines[head:tail]


def _join(previous: str, line: str, new_page: bool = False) -> str:
    """Join two lines of one paragraph: a word hyphenated across the line end becomes one word, and so
    does a path, an address or a link broken after a slash or a dot ("debian/" "changelog")."""
    mark = PAGE_BREAK if new_page else ""
    if previous.endswith(_SOFT_HYPHENS):
        return previous[:-1] + ("" if line[:1].islower() else "-") + mark + line
    if len(previous) > 1 and previous.endswith("-") and previous[-2].isalpha() and line[:1].islower():
        return previous[:-1] + mark + line
    broken = _BROKEN_LINK.search(previous)
    if broken and line[:1].islower() and not _listing(broken.group(0), line):
        return previous + mark + line
    return previous + " " + mark + line


def _is_heading(line: Line, body: float) -> bool:
    """Set larger than body text, or bold at body size with a section number and no sentence's end
    ("4.6.4.1 Stable, testing, and unstable": a book's deepest headings are often only bold)."""
    if not body:
        return False
    if line.size >= HEADING_SIZE * body:
        return True
    numbered = line.bold and bool(_SECTION_NUMBER.match(line.text))
    return numbered and len(line.text.split()) <= MAX_HEADING_WORDS and line.text[-1] not in ".!?,;:"


def _listing(path: str, line: str) -> bool:
    """The next line starts where the path did: a listing of paths, one a line ("dists/stable/main/",
    "dists/stable/main/binary-amd64/"), not one path broken in two ("/usr/", "share/doc")."""
    first = [part for part in path.strip().split("/") if part][:1]
    return bool(first) and line.split("/", 1)[0] == first[0]


def _continues(paragraph: str, last: Line | None, line: Line, width: float, body: float) -> bool:
    """A paragraph runs on over a page break: the page opens mid-sentence, or the previous page's last
    line fills the measure and has no final punctuation."""
    if not paragraph or last is None or line.size >= HEADING_SIZE * body:
        return False
    if line.text[:1].islower():
        return True
    full = last.right >= width - 1.5 * body
    return full and not paragraph.rstrip().endswith((".", "!", "?", ":", '"', "”"))


def is_reference_page(lines: list[Line]) -> bool:
    """A table of contents or an index: most lines end in page numbers. Its text is not prose to answer
    from (it would rank as an answer to anything it names), so the page is left out."""
    references = sum(1 for line in lines if _REFERENCE_LINE.search(line.text))
    return references >= REFERENCE_PAGE_LINES and references >= REFERENCE_PAGE_SHARE * len(lines)


def _pages(raw: bytes) -> tuple[list[list[Line]], str | None]:
    """Every page's text lines and the metadata title, or ReaderError saying why the file cannot be read."""
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(raw)
    except pdfium.PdfiumError as exc:
        if "password" in str(exc).lower():
            raise ReaderError("is an encrypted PDF (password-protected): cannot be read") from None
        raise ReaderError(f"is not a readable PDF ({exc})") from None
    try:
        pages = [_lines(pdf[i].get_textpage()) for i in range(len(pdf))]
        title = (pdf.get_metadata_dict().get("Title") or "").strip() or None
    except pdfium.PdfiumError as exc:
        raise ReaderError(f"is a damaged PDF ({exc})") from None
    finally:
        pdf.close()
    if not any(line.text for lines in pages for line in lines):
        raise ReaderError("has no extractable text (a scanned PDF without a text layer? OCR it first)")
    return pages, title


@dataclass(frozen=True, slots=True)
class _Measure:
    body: float  # the body text's type size (median)
    step: float  # line spacing of body text, over the whole document (a short page has too few lines)
    width: float  # the rightmost text edge: a line reaching it fills the measure


def _measure(pages: list[list[Line]]) -> _Measure:
    sizes = [line.size for lines in pages for line in lines if line.size]
    body = statistics.median(sizes) if sizes else 0.0
    steps = [
        a.baseline - b.baseline
        for lines in pages
        for a, b in itertools.pairwise(lines)
        if a.size == b.size == body
    ]
    step = statistics.median([s for s in steps if s > 0] or [0.0])
    width = max((line.right for lines in pages for line in lines), default=0.0)
    return _Measure(body, step, width)


def _new_paragraph(above: Line, line: Line, is_heading: bool, heading: bool, m: _Measure) -> bool:
    """Whether `line` starts a new paragraph after `above` on the same page."""
    gap = above.baseline - line.baseline
    # Larger type has larger line spacing: scale the gap that separates paragraphs.
    spacing = 1.45 * m.step * max(1.0, line.size / m.body if m.body else 1.0)
    # A first-line indent: further right than the line above (a block indented as a whole is not a new
    # paragraph at each line), unless that line opens a list item (its text hangs indented under the
    # marker).
    indent = line.left - above.left > 0.8 * (line.size or m.body)
    hanging = bool(_LIST_ITEM.match(above.text))
    # A list item is a paragraph of its own (a sentence for the highlight), whatever the spacing.
    item = bool(_BULLET.match(line.text))
    return (
        is_heading != heading or gap > spacing or gap < 0 or (indent and not heading and not hanging) or item
    )


def read(raw: bytes, name: str) -> Extracted:
    pages, title = _pages(raw)
    # Set larger than body text (as measured before the furniture goes): a heading, never furniture.
    heading_size = HEADING_SIZE * (_measure(pages).body or math.inf)
    running, offset = _running(pages, heading_size), _page_number_offset(pages, heading_size)
    pages = [
        _strip_edges(lines, running, len(pages) > 1, None if offset is None else i + offset, heading_size)
        for i, lines in enumerate(pages)
    ]
    pages = [[] if is_reference_page(lines) else lines for lines in pages]  # pages still count
    m = _measure(pages)
    builder = TextBuilder()
    first_heading: str | None = None
    paragraph, heading = "", False
    last: Line | None = None
    for lines in pages:
        if lines and not heading and _continues(paragraph, last, lines[0], m.width, m.body):
            paragraph = _join(paragraph, lines[0].text, new_page=True)
            lines = lines[1:]
        else:
            builder.paragraph(paragraph, heading)
            paragraph, heading = "", False
            builder.page()
        for i, line in enumerate(lines):
            is_heading = _is_heading(line, m.body)
            if i and paragraph and _new_paragraph(lines[i - 1], line, is_heading, heading, m):
                builder.paragraph(paragraph, heading)
                paragraph = ""
            if not paragraph:
                paragraph, heading = line.text, is_heading
                if is_heading and first_heading is None:
                    first_heading = line.text
            else:
                paragraph = _join(paragraph, line.text)
        last = lines[-1] if lines else last
    builder.paragraph(paragraph, heading)
    return builder.result(title or first_heading, "pdf", _version())
