"""Owns the answer's JSON shape (the API contract in shared/DESIGN.md): what the service returns and what
`python -m indexer search --json` prints."""

from __future__ import annotations

import math
from typing import Any

from generation.records import DocumentFile
from generation.store import Generation
from query.searcher import Hit, SearchResult


def hit_json(hit: Hit, documents: DocumentFile) -> dict[str, Any]:
    p = hit.passage
    return {
        "rank": hit.rank,
        "score": round(hit.score, 4),
        "passage_id": p.passage_id,
        "document": p.doc_id,
        "title": documents.title(p.doc_id),
        "heading": p.heading,
        "text": p.text,
        "start": p.start,
        "end": p.end,
        "highlight": {"start": hit.highlight[0], "end": hit.highlight[1]},
        "page": p.page,  # PDF: the page the passage starts on; null for other formats
        "pages": list(p.pages) if p.pages else None,  # PDF: first and last page
        "paragraph": p.paragraph,
        # Code and commands inside `text` (as the reader found them: HTML code/pre, Markdown code).
        "code": [{"start": s, "end": e} for s, e in p.code],
        "footnote": p.footnote,
        "footnotes": [{"label": f.label, "passage_id": f.passage_id} for f in p.footnotes],
        "scores": {"dense": round(hit.dense, 4), "lexical": round(hit.lexical, 4)},
        # The same content elsewhere (another format of the book, a mirrored page), folded into this result.
        "also_in": [
            {"passage_id": c.passage_id, "document": c.doc_id, "title": documents.title(c.doc_id)}
            for c in hit.also_in
        ],
    }


def answer_body(
    query: str, k: int, result: SearchResult, generation: Generation, offset: int = 0
) -> dict[str, Any]:
    """The whole answer: the question, the ranked passages, the generation that answered, the time."""
    return {
        "query": query,
        "k": k,
        "offset": offset,  # results start at rank offset + 1
        "more": result.more,  # results exist past these: ask again with offset + k
        "mode": result.mode,
        "low_confidence": result.low_confidence,
        # The score behind low_confidence, for callers who want their own threshold (null: no results).
        "unanswerable_score": round(result.doubt, 3) if math.isfinite(result.doubt) else None,
        "results": [hit_json(h, generation.documents) for h in result.hits],
        "index": {
            "generation": generation.name,
            "model": generation.manifest["model"]["name"],
            "passages": len(generation.passages),
        },
        "took_ms": round(result.took_ms, 2),
    }
