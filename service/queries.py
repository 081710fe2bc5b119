"""Owns turning a request's q/k/doc into a search and the search into the API's JSON shape."""

from __future__ import annotations

import math
import unicodedata
from typing import Any, cast

from generation.records import DocumentFile
from query.config import MODES, Mode
from query.searcher import Hit, SearchResult, UnknownDocumentError
from service.errors import InvalidInput, NotReady
from service.reload import IndexHolder

MAX_QUERY_CHARS = 1000
MAX_K = 50
DEFAULT_K = 5


def clean_query(q: str | None) -> str:
    """The trimmed query, or InvalidInput saying exactly what is wrong with it."""
    if q is None:
        raise InvalidInput("q is required: the question to search for")
    try:
        q.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidInput("q contains invalid Unicode (a lone surrogate)") from None
    if "\ufffd" in q:
        # Starlette decodes invalid percent-encoded UTF-8 to U+FFFD; nobody types that character.
        raise InvalidInput("q is not valid UTF-8 (check its percent-encoding)")
    q = q.strip()
    if not q:
        raise InvalidInput("q must not be empty or only whitespace")
    if len(q) > MAX_QUERY_CHARS:
        raise InvalidInput(f"q is {len(q)} characters long; the limit is {MAX_QUERY_CHARS}")
    if any(unicodedata.category(ch) == "Cc" and ch not in "\t\n\r" for ch in q):
        raise InvalidInput("q contains control characters (such as NUL)")
    return q


def clean_k(k: int | None) -> int:
    if k is None:
        return DEFAULT_K
    if not 1 <= k <= MAX_K:
        raise InvalidInput(f"k must be between 1 and {MAX_K}, got {k}")
    return k


def clean_mode(mode: str | None) -> Mode | None:
    """The ranking mode asked for, None for the configured default."""
    if mode is None:
        return None
    if mode not in MODES:
        raise InvalidInput(f"mode must be one of {', '.join(MODES)}")
    return cast(Mode, mode)


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
        "footnote": p.footnote,
        "footnotes": [{"label": f.label, "passage_id": f.passage_id} for f in p.footnotes],
        "scores": {"dense": round(hit.dense, 4), "lexical": round(hit.lexical, 4)},
        # The same content elsewhere (another format of the book, a mirrored page), folded into this result.
        "also_in": [
            {"passage_id": c.passage_id, "document": c.doc_id, "title": documents.title(c.doc_id)}
            for c in hit.also_in
        ],
    }


def run_search(
    holder: IndexHolder, q: str | None, k: int | None, doc: str | None, mode: str | None = None
) -> tuple[SearchResult, dict[str, Any]]:
    """Validate, search the generation being served, and shape the answer of the API contract."""
    query, k, ranking_mode = clean_query(q), clean_k(k), clean_mode(mode)
    searcher = holder.searcher  # read once: a concurrent swap cannot mix two generations in one answer
    if searcher is None:
        raise NotReady(f"the index is not ready ({holder.status})", headers={"Retry-After": "2"})
    if doc is not None and doc not in searcher.generation.documents:
        raise InvalidInput(f"doc {doc[:200]!r} is not a document in the index")
    try:
        result = searcher.search(query, k, doc, ranking_mode)
    except UnknownDocumentError:
        raise InvalidInput("doc is not a document in the index") from None
    gen = searcher.generation
    body = {
        "query": query,
        "k": k,
        "mode": result.mode,
        "low_confidence": result.low_confidence,
        # The score behind low_confidence, for callers who want their own threshold (null: no results).
        "unanswerable_score": round(result.doubt, 3) if math.isfinite(result.doubt) else None,
        "results": [hit_json(h, gen.documents) for h in result.hits],
        "index": {
            "generation": gen.name,
            "model": gen.manifest["model"]["name"],
            "passages": len(gen.passages),
        },
        "took_ms": round(result.took_ms, 2),
    }
    return result, body
