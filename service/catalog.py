"""Owns the collection's listing for the pages: every document naturally sorted by title ("1-1-2" before
"1-1-10"), found by part of its title or file name, in pages; made once per generation."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from generation.store import Generation

PAGE_SIZE = 50
_DIGITS = re.compile(r"(\d+)")


def natural_key(text: str) -> tuple[tuple[int, int | str], ...]:
    """Sort key that orders the numbers inside a text by value: "chapter 2" before "chapter 10"."""
    return tuple((0, int(p)) if p.isdigit() else (1, p.casefold()) for p in _DIGITS.split(text) if p)


@dataclass(frozen=True, slots=True)
class Entry:
    doc_id: str
    title: str
    format: str
    pages: int | None
    passages: int

    @property
    def url(self) -> str:
        return f"/documents/{quote(self.doc_id)}"


@dataclass(frozen=True, slots=True)
class Page:
    entries: list[Entry]
    number: int  # 1-based
    pages: int
    count: int  # documents matching


class Catalog:
    """One generation's documents in reading order for people (by title, naturally; then file name)."""

    def __init__(self, generation: Generation) -> None:
        listed = {str(d.get("doc_id")): d for d in generation.manifest.get("documents", [])}
        entries = []
        for doc_id in generation.documents:
            info = generation.documents.info(doc_id)
            if info is None:
                continue
            meta: dict[str, Any] = listed.get(doc_id, {})
            pages = meta.get("pages")
            fmt = str(meta.get("format", "txt")).upper()
            entries.append(Entry(doc_id, info.title, fmt, int(pages) if pages else None, info.rows))
        self.name = generation.name
        self.entries = sorted(entries, key=lambda e: (natural_key(e.title), natural_key(e.doc_id)))

    def find(self, text: str) -> list[Entry]:
        """Documents whose title or file name holds `text` (case ignored), in listing order."""
        needle = text.casefold().strip()
        if not needle:
            return list(self.entries)
        return [e for e in self.entries if needle in e.title.casefold() or needle in e.doc_id.casefold()]

    def page(self, number: int, text: str = "", size: int = PAGE_SIZE) -> Page:
        found = self.find(text)
        pages = max(1, math.ceil(len(found) / size))
        number = min(max(1, number), pages)
        return Page(found[(number - 1) * size : number * size], number, pages, len(found))


class Catalogs:
    """The catalog of the generation being served, made at its first use (kept until the next swap)."""

    def __init__(self) -> None:
        self._current: Catalog | None = None

    def of(self, generation: Generation) -> Catalog:
        current = self._current
        if current is None or current.name != generation.name:
            current = self._current = Catalog(generation)
        return current
