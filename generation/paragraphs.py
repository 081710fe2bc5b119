"""Owns what a paragraph is in a document's text (blank-line separated, white space around it left out):
the chunker packs them into passages and the page shows each as a block, so both cut the text alike."""

from __future__ import annotations

import re

Span = tuple[int, int]

PARAGRAPH_BREAK = re.compile(r"\n(?:[ \t\f\v]*\n)+")


def split_paragraphs(text: str) -> list[Span]:
    """Blank-line separated blocks, trimmed of surrounding whitespace."""
    spans: list[Span] = []
    pos = 0
    for m in PARAGRAPH_BREAK.finditer(text):
        spans.extend(trimmed(text, pos, m.start()))
        pos = m.end()
    spans.extend(trimmed(text, pos, len(text)))
    return spans


def trimmed(text: str, start: int, end: int) -> list[Span]:
    """text[start:end] without the white space at its edges, as a span (none when nothing is left)."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return [(start, end)] if start < end else []
