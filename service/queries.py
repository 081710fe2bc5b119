"""Owns turning a request's q/k/doc into a search and the search into the API's JSON shape."""

from __future__ import annotations

import unicodedata
from typing import Any, cast

from query.answer import answer_body
from query.config import MODES, Mode
from query.searcher import SearchResult, UnknownDocumentError
from service.errors import InvalidInput, NotReady
from service.reload import IndexHolder

MAX_QUERY_CHARS = 1000
MAX_K = 50
DEFAULT_K = 5
MAX_OFFSET = 200  # pages of results go this deep (the candidates are the first few hundred anyway)


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


def clean_offset(offset: int | None) -> int:
    if offset is None:
        return 0
    if not 0 <= offset <= MAX_OFFSET:
        raise InvalidInput(f"offset must be between 0 and {MAX_OFFSET}, got {offset}")
    return offset


def clean_mode(mode: str | None) -> Mode | None:
    """The ranking mode asked for, None for the configured default."""
    if mode is None:
        return None
    if mode not in MODES:
        raise InvalidInput(f"mode must be one of {', '.join(MODES)}")
    return cast(Mode, mode)


def run_search(
    holder: IndexHolder,
    q: str | None,
    k: int | None,
    doc: str | None,
    mode: str | None = None,
    offset: int | None = None,
) -> tuple[SearchResult, dict[str, Any]]:
    """Validate, search the generation being served, and shape the answer of the API contract."""
    query, k, ranking_mode, skip = clean_query(q), clean_k(k), clean_mode(mode), clean_offset(offset)
    searcher = holder.searcher  # read once: a concurrent swap cannot mix two generations in one answer
    if searcher is None:
        raise NotReady(f"the index is not ready ({holder.status})", headers={"Retry-After": "2"})
    if doc is not None and doc not in searcher.generation.documents:
        raise InvalidInput(f"doc {doc[:200]!r} is not a document in the index")
    try:
        result = searcher.search(query, k, doc, ranking_mode, offset=skip)
    except UnknownDocumentError:
        raise InvalidInput("doc is not a document in the index") from None
    return result, answer_body(query, k, result, searcher.generation, skip)
