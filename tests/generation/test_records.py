"""Passages and documents are read on demand from memory-mapped JSON lines through a byte-offset index,
and give back exactly what was written (also for generations written before the offset index)."""

from __future__ import annotations

from pathlib import Path

import pytest

from generation.records import (
    DocumentFile,
    FootnoteLink,
    PassageFile,
    StoredDocument,
    StoredPassage,
    as_record,
    offsets_path,
    write_records,
)


def _passages() -> list[StoredPassage]:
    return [
        StoredPassage(
            f"doc.txt#{i}",
            "doc.txt",
            i * 10,
            i * 10 + 9,
            f"Passage {i} — ünïcode “quotes”",
            None if i else "H",
            i,
            ((0, 4), (5, 9)),
            i * 2,
            "1" if i == 3 else None,
            (FootnoteLink("1", "doc.txt#3"),) if i == 1 else (),
        )
        for i in range(5)
    ]


def test_passages_come_back_as_written_by_index_and_slice(tmp_path: Path) -> None:
    rows = _passages()
    write_records(tmp_path / "passages.jsonl", [as_record(p) for p in rows])
    assert offsets_path(tmp_path / "passages.jsonl").name == "passages.offsets.npy"
    stored = PassageFile(tmp_path / "passages.jsonl")
    assert len(stored) == 5 and list(stored) == rows
    assert stored[-1] == rows[-1] and stored[1:4] == rows[1:4] and stored.index(rows[2]) == 2
    with pytest.raises(IndexError):
        stored[5]


def test_a_file_without_its_offset_index_still_opens(tmp_path: Path) -> None:
    rows = _passages()
    write_records(tmp_path / "passages.jsonl", [as_record(p) for p in rows])
    offsets_path(tmp_path / "passages.jsonl").unlink()
    assert list(PassageFile(tmp_path / "passages.jsonl")) == rows


def test_a_row_written_before_a_field_existed_takes_its_default(tmp_path: Path) -> None:
    """Generations written by earlier versions stay readable: their rows lack `pages`, `labels` and
    `code`; a field this version does not know is ignored."""
    row = as_record(_passages()[1])
    for field in ("pages", "labels", "code"):
        del row[field]
    write_records(tmp_path / "passages.jsonl", [{**row, "retired_field": 1}])
    (passage,) = PassageFile(tmp_path / "passages.jsonl")
    assert passage == _passages()[1] and (passage.pages, passage.labels, passage.code) == (None, (), ())


def test_documents_keep_titles_and_rows_in_memory_and_text_on_disk(tmp_path: Path) -> None:
    docs = [
        StoredDocument("a.txt", "Title A", "0" * 64, "Text of A " * 100, 0, 3, encoding="utf-8"),
        StoredDocument("b/c.md", "Title C", "1" * 64, "Text of C", 3, 2, encoding="cp1252"),
    ]
    write_records(tmp_path / "documents.jsonl", [as_record(d) for d in docs])
    stored = DocumentFile(tmp_path / "documents.jsonl")
    assert set(stored) == {"a.txt", "b/c.md"} and len(stored) == 2 and "a.txt" in stored
    assert stored["b/c.md"] == docs[1] and dict(stored) == {d.doc_id: d for d in docs}
    assert stored.title("a.txt") == "Title A" and stored.row_range("b/c.md") == (3, 5)
    assert stored.row_range("missing") is None and "missing" not in stored


def test_an_empty_file_is_an_empty_sequence(tmp_path: Path) -> None:
    write_records(tmp_path / "passages.jsonl", [])
    assert len(PassageFile(tmp_path / "passages.jsonl")) == 0
