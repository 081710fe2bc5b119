"""Owns turning a build's documents, passages and vectors into a generation: the passage and document
records, the vector and lexical indexes, the manifest, written through generation.store."""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from generation import store
from generation.analysis import CorpusLanguages, analyzer_named
from generation.lexical import LEXICAL_DIR, PARAMETERS, LexicalIndex
from generation.records import (
    FootnoteLink,
    Mark,
    Span,
    StoredDocument,
    StoredPassage,
    as_record,
    mark_spans,
    sorted_marks,
)
from generation.shingles import write_shingles
from generation.vector_index import VectorIndex
from indexer.chunking import ChunkParams, Passage, heading_spans
from indexer.documents import Document


@dataclass(frozen=True, slots=True)
class DocumentLanguage:
    detected: str | None  # ISO 639-1 code as detected (or set); None: too little text to tell
    analyzer: str  # the analyzer its passages get: that language's, or plain Unicode terms ("und")


def page_span(page_starts: Sequence[int], start: int, end: int) -> tuple[int, int] | None:
    """First and last 1-based page of text[start:end] (None without pages)."""
    if not page_starts:
        return None
    return (
        max(1, bisect.bisect_right(page_starts, start)),
        max(1, bisect.bisect_right(page_starts, end - 1)),
    )


CODE_KINDS = ("code", "pre")


def code_spans(code: Sequence[Span], start: int, end: int) -> tuple[Span, ...]:
    """The code in text[start:end], as offsets inside it, clipped; `code`: the document's code and code
    blocks, sorted and not overlapping (so their ends are sorted too: a bisect finds the first)."""
    first = bisect.bisect_right(code, start, key=lambda span: span[1])
    return tuple(
        (max(s, start) - start, min(e, end) - start)
        for s, e in itertools.takewhile(lambda c: c[0] < end, code[first:])
    )


def document_marks(d: Document) -> tuple[Mark, ...]:
    """What the document page shows apart: the reader's code and tables, and the headings the chunker
    uses (the reader's, or those recognised in plain text)."""
    headings = [(s, e, "heading") for s, e in heading_spans(d.text, d.headings)]
    return sorted_marks([*d.marks, *headings])


def stored_passage(
    p: Passage, sentence_row: int, page_starts: Sequence[int] = (), code: Sequence[Span] = ()
) -> StoredPassage:
    return StoredPassage(
        passage_id=p.passage_id,
        doc_id=p.doc_id,
        start=p.start,
        end=p.end,
        text=p.text,
        heading=p.heading,
        paragraph=p.paragraph,
        sentences=p.sentences,
        sentence_row=sentence_row,
        footnote=p.footnote,
        footnotes=tuple(FootnoteLink(label, pid) for label, pid in p.footnotes),
        pages=page_span(page_starts, p.start, p.end),
        labels=p.labels,
        code=code_spans(code, p.start, p.end),
    )


def passage_records(documents: Sequence[Document], passages: Sequence[Passage]) -> list[StoredPassage]:
    """Each passage with its provenance and the row of its first sentence vector."""
    pages = {d.doc_id: d.page_starts for d in documents}
    # Once per document, not per passage: a manual holds thousands of marks.
    code = {d.doc_id: mark_spans(d.marks, *CODE_KINDS) for d in documents}
    records: list[StoredPassage] = []
    sentence_row = 0
    for p in passages:
        records.append(stored_passage(p, sentence_row, pages[p.doc_id], code[p.doc_id]))
        sentence_row += len(p.sentences)
    return records


def document_records(documents: Sequence[Document], passages: Sequence[Passage]) -> list[StoredDocument]:
    """Each document with its text and the rows its passages occupy."""
    first_row: dict[str, int] = {}
    rows: dict[str, int] = {}
    for i, p in enumerate(passages):
        first_row.setdefault(p.doc_id, i)
        rows[p.doc_id] = rows.get(p.doc_id, 0) + 1
    return [
        StoredDocument(
            doc_id=d.doc_id,
            title=d.title,
            sha256=d.sha256,
            text=d.text,
            first_row=first_row.get(d.doc_id, 0),
            rows=rows.get(d.doc_id, 0),
            encoding=d.encoding,
            format=d.format,
            reader=d.reader,
            page_starts=d.page_starts,
            marks=document_marks(d),
        )
        for d in documents
    ]


def manifest_documents(
    records: Sequence[StoredDocument], languages: Mapping[str, DocumentLanguage]
) -> list[dict[str, Any]]:
    """The manifest's listing: the service reads titles and row ranges here without parsing any text."""
    return [
        {
            "doc_id": d.doc_id,
            "language": languages[d.doc_id].detected,
            "analyzer": languages[d.doc_id].analyzer,
            "sha256": d.sha256,
            "title": d.title,
            "format": d.format,
            "reader": d.reader,
            "pages": len(d.page_starts) or None,
            "first_row": d.first_row,
            "rows": d.rows,
        }
        for d in records
    ]


def write(
    index_dir: Path,
    manifest: dict[str, Any],
    documents: Sequence[Document],
    passages: Sequence[Passage],
    matrices: tuple[np.ndarray, np.ndarray],
    languages: Mapping[str, DocumentLanguage],
) -> str:
    """Write a new generation (vectors, records, BM25, manifest) under a temporary name, rename it into
    place, and return its name; `manifest` holds what the build knows (model, chunking, executor...).
    Each passage's terms come from its document's language analyzer."""
    passage_matrix, sentence_matrix = matrices
    doc_records = document_records(documents, passages)
    index = VectorIndex.build(passage_matrix)
    analyzers = {doc: analyzer_named(language.analyzer) for doc, language in languages.items()}
    lexical = LexicalIndex.build([analyzers[p.doc_id].terms(p.text) for p in passages])
    corpus_languages = CorpusLanguages.of(languages[d.doc_id].analyzer for d in documents)
    name = store.new_generation_name()
    manifest = {
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        **manifest,
        "index": index.params,
        "lexical": PARAMETERS,
        "analyzer": corpus_languages.manifest(),
        "passages": len(passages),
        "sentences": int(sentence_matrix.shape[0]),
        "sentence_vectors": "float16",
        "documents": manifest_documents(doc_records, languages),
    }
    files = {
        store.INDEX_FILE: store.write_vectors(index),
        store.PASSAGES_FILE: store.write_jsonl([as_record(r) for r in passage_records(documents, passages)]),
        store.DOCUMENTS_FILE: store.write_jsonl([as_record(d) for d in doc_records]),
        # float16: half the space, the same highlight on every one of 400 (question, passage) pairs
        # measured on the essay and the King James Bible (docs/benchmarks.md).
        store.SENTENCES_FILE: store.write_npy(sentence_matrix.astype(np.float16)),
        LEXICAL_DIR: store.write_lexical(lexical),
        # Made here once, so that folding near-duplicate results never splits a passage into words.
        store.SHINGLES_FILE: write_shingles([p.text for p in passages]),
    }
    store.write_generation(index_dir, name, files, manifest)
    return name


def chunking_manifest(params: ChunkParams, embed_context: str) -> dict[str, Any]:
    return {
        "target_tokens": params.target_tokens,
        "max_tokens": params.max_tokens,
        "overlap_sentences": params.overlap_sentences,
        "max_chars": params.max_chars,
        "embed_context": embed_context,
    }
