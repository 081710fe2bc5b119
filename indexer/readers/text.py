"""Owns reading plain text: decoding (UTF-8, else Windows-1252/Latin-1), newline normalisation, refusing
binary data, and leaving out a table of contents; headings and the title are found by the plain-text
heuristics downstream."""

from __future__ import annotations

import bisect
import re

from indexer.readers.model import SOFT_HYPHEN, Extracted, ReaderError

BINARY_SNIFF_BYTES = 8192
# A contents entry: a section number and a title, maybe after a bullet, maybe before dot leaders and a page
# ("  * 1.1. Scope", "3.5. /boot : Static files", "1.  Introduction . . . . . . 3").
_ENTRY = re.compile(
    r"[ \t]*(?:[*\u2022-][ \t]+)?"
    r"(?P<entry>(?:\d{1,3}(?:\.\d{1,3})*\.?|[A-Z](?:\.\d{1,3})*\.)[ \t]+(?P<title>\S.*?))"
    r"(?:[ \t]*(?:\.[ \t]?){3,}[ \t]*\d{1,4}|[ \t]{2,}\d{1,4})?[ \t]*"
)
_LETTER = re.compile(r"[^\W\d_]")
# A line of one punctuation mark repeated, under (and over) a title: reStructuredText, Sphinx's and pandoc's
# plain-text output, setext ("Overview" over "--------"). The chunker reads titles by it too.
RULE = re.compile(r"([=\-~*^#+_\"'`.:])\1{2,}")
_SPACE = re.compile(r"\s+")
# A soft hyphen (where a word may break) at a line's end, between letters: one word broken over two lines.
_BROKEN_WORD = re.compile("(?<=[^\\W\\d_])\u00ad\n[ \t]*(?=[^\\W\\d_])")
LOOK_AHEAD = 16  # headings opening with an entry's first two words, looked at for each entry
MIN_ENTRIES = 4  # fewer numbered lines that recur later are a short list, not a table of contents
ENTRY_SHARE = 0.6  # of a contents block's lines (the rest: unnumbered entries, wrapped titles)
LONGEST_LINE = 100


def decode(raw: bytes) -> tuple[str, str]:
    """Decode bytes as UTF-8 (BOM allowed), else Windows-1252/Latin-1; raise ReaderError for binary data."""
    if b"\x00" in raw[:BINARY_SNIFF_BYTES]:
        raise ReaderError("looks binary (contains NUL bytes)")
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
        raise ReaderError("looks binary (many control characters)")
    return text, encoding


def _key(line: str) -> str:
    return _SPACE.sub(" ", line.strip()).lower()


def _headings(lines: list[str]) -> list[int]:
    """Lines that stand as a paragraph of their own (a blank line or a rule above and below): where a
    section's heading is, and never a row of a table or an item of a list."""

    def apart(j: int) -> bool:
        return not 0 <= j < len(lines) or not lines[j].strip() or bool(RULE.fullmatch(lines[j].strip()))

    return [
        j
        for j, line in enumerate(lines)
        if line.strip() and not RULE.fullmatch(line.strip()) and apart(j - 1) and apart(j + 1)
    ]


def _entries(lines: list[str]) -> list[bool]:
    """Which lines are contents entries: a numbered title that a later heading opens with (the section it
    names; a title wrapped in the contents opens it too)."""
    keys = [_key(line) for line in lines]
    headings: dict[str, list[int]] = {}  # first two words of a heading -> its lines, in order
    for j in _headings(lines):
        headings.setdefault(" ".join(keys[j].split(" ")[:2]), []).append(j)
    found = []
    for i, line in enumerate(lines):
        m = _ENTRY.fullmatch(line) if len(line) <= LONGEST_LINE else None
        if m is None or not _LETTER.search(m.group("title")):
            found.append(False)
            continue
        entry = _key(m.group("entry"))
        named = headings.get(" ".join(entry.split(" ")[:2]), [])
        after = named[bisect.bisect_right(named, i) :][:LOOK_AHEAD]
        found.append(any(keys[j].startswith(entry) for j in after))
    return found


def _contents_blocks(lines: list[str]) -> list[tuple[int, int]]:
    """Runs of lines (first, last) that are a table of contents: entries, blank lines and the short lines
    between them (unnumbered entries, wrapped titles), with enough entries."""
    entry = _entries(lines)
    blocks: list[tuple[int, int]] = []
    i = 0
    while i < len(lines):
        if not entry[i]:
            i += 1
            continue
        last, j, entries, others, between = i, i + 1, 1, 0, 0
        while j < len(lines):
            line = lines[j].strip()
            if entry[j]:
                last, entries, between = j, entries + 1, others
            elif line and (len(line) > LONGEST_LINE or line[-1] in ".!?;:"):
                break  # a sentence: the prose after the contents
            elif line:
                others += 1
            j += 1
        if entries >= MIN_ENTRIES and entries >= ENTRY_SHARE * (entries + between):
            indent = len(lines[last]) - len(lines[last].lstrip())
            while (
                last + 1 < len(lines)
                and lines[last + 1].strip()
                and lines[last + 1].find(lines[last + 1].strip()) > indent
            ):
                last += 1  # the last title wraps onto indented lines
            blocks.append((i, last))
        i = last + 1
    return blocks


def without_contents(text: str) -> str:
    """The text with its tables of contents left out: their entries would answer questions with the
    section titles alone, and head no text."""
    lines = text.split("\n")
    blocks = _contents_blocks(lines)
    if not blocks:
        return text
    kept: list[str] = []
    start = 0
    for first, last in blocks:
        kept += lines[start:first]
        start = last + 1
    left = "\n".join(kept + lines[start:])
    return left if left.strip() else text  # a text that is all contents is what there is to read


def read(raw: bytes, name: str) -> Extracted:
    text, encoding = decode(raw)
    # Soft hyphens are invisible and would split a word into two search terms: dropped, and a word
    # broken at one over a line's end joined ("syn-\n  tax"; other readers' builders drop them too).
    text = _BROKEN_WORD.sub("", text).replace(SOFT_HYPHEN, "")
    if not text.strip():
        raise ReaderError("is empty")
    return Extracted(without_contents(text), None, "txt", "builtin", encoding)
