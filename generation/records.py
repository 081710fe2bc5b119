"""Owns a generation's passage and document records: their typed form, how they are written (JSON lines
with a byte-offset index beside them), and reading them on demand from memory-mapped files, so a service
worker's private memory does not grow with the corpus (the page cache holds one copy for all workers)."""

from __future__ import annotations

import dataclasses
import json
import mmap
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar, overload

import msgspec
import numpy as np

Span = tuple[int, int]
# A stretch of a document's text and what the reader found it to be, for showing it (not for search):
# "heading", "pre" (a code block), "code" (code in a line of prose), "table", "row" (a paragraph of a
# table), "th" and "td" (a cell); and for chunking, "box" (a titled box, a tip or a note: its title heads
# only the box) and "label" (a definition list's term, a figure's caption: it names rather than says, and
# is never the sentence to highlight). Offsets point into the document's text.
Mark = tuple[int, int, str]
MARK_KINDS = frozenset(["heading", "pre", "code", "table", "row", "th", "td", "box", "label"])


def sorted_marks(marks: Iterable[Mark]) -> tuple[Mark, ...]:
    """Marks in the order they are stored: by start, the longer first (a table before its first row)."""
    return tuple(sorted(marks, key=lambda m: (m[0], -m[1])))


def mark_spans(marks: Iterable[Mark], *kinds: str) -> list[Span]:
    """The spans of the marks of these kinds, sorted."""
    return sorted((s, e) for s, e, kind in marks if kind in kinds)


R = TypeVar("R", "StoredPassage", "StoredDocument")


@dataclass(frozen=True, slots=True)
class FootnoteLink:
    label: str  # the marker as printed ("1")
    passage_id: str  # the note's first passage


@dataclass(frozen=True, slots=True)
class StoredPassage:
    """One row of passages.jsonl: a passage with its provenance, parsed once when a generation opens."""

    passage_id: str
    doc_id: str
    start: int  # document.text[start:end] == text
    end: int
    text: str
    heading: str | None
    paragraph: int
    sentences: tuple[Span, ...]  # sentence spans inside `text`
    sentence_row: int  # row of the first sentence in sentences.npy
    footnote: str | None  # the note's label when this passage is (part of) a footnote
    footnotes: tuple[FootnoteLink, ...]  # notes whose markers are in this passage
    pages: tuple[int, int] | None = None  # PDF: first and last page (1-based) the passage is on
    labels: tuple[int, ...] = ()  # sentences that are headings or labels, not answers (see highlight)
    code: tuple[Span, ...] = ()  # code and commands inside `text` (offsets in it), set in a fixed-width face

    @property
    def page(self) -> int | None:
        return self.pages[0] if self.pages else None


@dataclass(frozen=True, slots=True)
class StoredDocument:
    """One row of documents.jsonl: a document as indexed and where its passages are."""

    doc_id: str
    title: str
    sha256: str
    text: str
    first_row: int  # its passages are rows [first_row, first_row + rows)
    rows: int
    encoding: str = "utf-8"
    format: str = "txt"
    reader: str = "builtin"
    page_starts: tuple[int, ...] = ()  # PDF: offset in `text` where each page begins
    marks: tuple[Mark, ...] = ()  # headings, code and tables, sorted by start

    @property
    def row_range(self) -> tuple[int, int]:
        return (self.first_row, self.first_row + self.rows)


def as_record(item: StoredPassage | StoredDocument) -> dict[str, Any]:
    """A record as its JSON line holds it (tuples as lists)."""
    return dataclasses.asdict(item)


def decoder(kind: type[R]) -> msgspec.json.Decoder[R]:
    """Parses a record's JSON line and checks it against the dataclass's types in one pass (fields that
    older generations lack take their defaults; unknown ones are ignored)."""
    return msgspec.json.Decoder(kind)


def load_mapped(path: Path) -> np.ndarray:
    """An .npy file as a plain array over a read-only memory map: the page cache holds one copy for every
    worker, and np.memmap's own indexing (the subclass's bookkeeping on each slice) cost more than the
    small reads a search makes of it."""
    array: np.ndarray = np.load(path, allow_pickle=False, mmap_mode="r").view(np.ndarray)
    return array


def offsets_path(path: Path) -> Path:
    """The offset index beside a file of records: `passages.jsonl` -> `passages.offsets.npy` (where each
    line starts), `shingles.npy` -> `shingles.offsets.npy` (where each passage's shingles start)."""
    return path.with_name(path.stem + ".offsets.npy")


def write_records(path: Path, records: Sequence[dict[str, Any]]) -> None:
    """One JSON object per line, and the offset of every line start (plus the end) beside it."""
    offsets = np.zeros(len(records) + 1, dtype=np.int64)
    with path.open("wb") as fh:
        for i, row in enumerate(records):
            line = (json.dumps(row, ensure_ascii=False) + "\n").encode("utf-8")
            fh.write(line)
            offsets[i + 1] = offsets[i] + len(line)
    with offsets_path(path).open("wb") as fh:
        np.save(fh, offsets, allow_pickle=False)


class _Lines:
    """Line i of a JSON-lines file, parsed on demand from a memory map (no copy in this process)."""

    def __init__(self, path: Path) -> None:
        with path.open("rb") as fh:
            size = fh.seek(0, 2)
            # A generation's files never change once published, so the map stays valid; an empty file
            # cannot be mapped.
            self._map: mmap.mmap | bytes = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) if size else b""
        index = offsets_path(path)
        if index.is_file():
            self._offsets = load_mapped(index)
        else:  # a generation written before offset indexes: find the line starts once
            starts = [0]
            data = self._map
            pos = data.find(b"\n")
            while pos != -1:
                starts.append(pos + 1)
                pos = data.find(b"\n", pos + 1)
            self._offsets = np.asarray(starts, dtype=np.int64)
        if int(self._offsets[-1]) != size:
            raise ValueError(f"{path.name}: offset index does not match the file")

    def __len__(self) -> int:
        return len(self._offsets) - 1

    def line(self, i: int) -> bytes:
        return self._map[int(self._offsets[i]) : int(self._offsets[i + 1])]

    def row(self, i: int) -> dict[str, Any]:
        value: dict[str, Any] = json.loads(self.line(i))
        return value


class PassageFile(Sequence[StoredPassage]):
    """passages.jsonl as a sequence: row i of the vector index is passages[i], parsed when asked for."""

    def __init__(self, path: Path) -> None:
        self._lines = _Lines(path)
        self._decoder = decoder(StoredPassage)

    def __len__(self) -> int:
        return len(self._lines)

    @overload
    def __getitem__(self, i: int) -> StoredPassage: ...

    @overload
    def __getitem__(self, i: slice) -> list[StoredPassage]: ...

    def __getitem__(self, i: int | slice) -> StoredPassage | list[StoredPassage]:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        if not -len(self) <= i < len(self):
            raise IndexError(i)
        return self._decoder.decode(self._lines.line(i % len(self)))


@dataclass(frozen=True, slots=True)
class DocumentInfo:
    """What the service needs of a document on every query (its text is read only when shown)."""

    line: int
    title: str
    first_row: int
    rows: int


class DocumentFile(Mapping[str, StoredDocument]):
    """documents.jsonl by doc_id: titles and row ranges kept in memory (one small entry per document),
    each document's text read from the memory map when it is shown."""

    def __init__(self, path: Path, listing: Any = None) -> None:
        """`listing`: the manifest's documents, in file order; with their row ranges (generations since
        they were recorded there) no document is parsed here, however large the collection."""
        self._lines = _Lines(path)
        self._decoder = decoder(StoredDocument)
        self._info: dict[str, DocumentInfo] = {}
        if isinstance(listing, list) and len(listing) == len(self._lines):
            try:
                for i, d in enumerate(listing):
                    self._info[str(d["doc_id"])] = DocumentInfo(
                        i, str(d["title"]), int(d["first_row"]), int(d["rows"])
                    )
                return
            except (KeyError, TypeError, ValueError):
                self._info.clear()
        for i in range(len(self._lines)):
            row = self._lines.row(i)
            self._info[str(row["doc_id"])] = DocumentInfo(
                i, str(row["title"]), int(row["first_row"]), int(row["rows"])
            )

    def __getitem__(self, doc_id: str) -> StoredDocument:
        return self._decoder.decode(self._lines.line(self._info[doc_id].line))

    def __iter__(self) -> Iterator[str]:
        return iter(self._info)

    def __len__(self) -> int:
        return len(self._info)

    def __contains__(self, doc_id: object) -> bool:
        return doc_id in self._info

    def info(self, doc_id: str) -> DocumentInfo | None:
        return self._info.get(doc_id)

    def title(self, doc_id: str) -> str:
        return self._info[doc_id].title

    def row_range(self, doc_id: str) -> tuple[int, int] | None:
        found = self._info.get(doc_id)
        return None if found is None else (found.first_row, found.first_row + found.rows)
