"""Owns the web page: the search box, server-rendered results, and documents shown in context."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from generation.records import StoredPassage
from query.config import Ranking
from service.errors import ApiError, InvalidInput, NotFound, NotReady
from service.queries import DEFAULT_K, run_search

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
router = APIRouter()


def passage_anchor(passage_id: str) -> str:
    return "p" + passage_id.rsplit("#", 1)[1]


def context_url(doc_id: str, passage_id: str) -> str:
    anchor = passage_anchor(passage_id)
    return f"/documents/{quote(doc_id)}?p={anchor[1:]}#{anchor}"


def _result_view(result: dict[str, Any]) -> dict[str, Any]:
    """Split the passage around its highlight so the template escapes each part and wraps one in <mark>."""
    text, hl = result["text"], result["highlight"]
    return {
        **result,
        "before": text[: hl["start"]],
        "marked": text[hl["start"] : hl["end"]],
        "after": text[hl["end"] :],
        "url": context_url(result["document"], result["passage_id"]),
        "notes": [
            {"label": n["label"], "url": context_url(result["document"], n["passage_id"])}
            for n in result["footnotes"]
        ],
        "copies": [
            {
                "title": c["title"],
                "document": c["document"],
                "url": context_url(c["document"], c["passage_id"]),
            }
            for c in result["also_in"]
        ],
    }


def score_meaning(mode: str, ranking: Ranking) -> str:
    """What the score shown beside a result is, in words (the page's tooltip)."""
    if mode == "dense":
        return "cosine similarity of question and passage (-1 to 1)"
    if mode == "lexical":
        return "BM25 score of the passage's words against the question's"
    if ranking.fusion == "rrf":
        return "reciprocal rank fusion of the meaning (cosine) and word (BM25) rankings"
    return (
        f"relevance: {ranking.alpha:g} × cosine similarity + {1 - ranking.alpha:g} × BM25 relative to "
        "the best match (about 0 to 1)"
    )


MAX_LISTED = 50  # documents listed on the start page; a larger collection says how many more
# Above this many documents the filter is a text field for the file name: a <select> of thousands of
# titles is unusable and would weigh on every page, since each page carries the form.
MAX_CHOICES = 200


def collection(holder: Any) -> dict[str, Any] | None:
    """What the served generation holds, for the start page and the document filter (None before one).
    Only the documents a page shows are looked up, however large the collection."""
    searcher = holder.searcher
    if searcher is None:
        return None
    manifest = searcher.generation.manifest
    count = len(searcher.generation.documents)
    wanted = MAX_CHOICES if count <= MAX_CHOICES else MAX_LISTED
    docs: list[dict[str, Any]] = []
    for entry in manifest.get("documents", []):
        if len(docs) >= wanted:
            break
        doc_id = str(entry["doc_id"])
        info = searcher.generation.documents.info(doc_id)
        if info is None:
            continue
        docs.append(
            {
                "doc_id": doc_id,
                "title": info.title,
                "format": str(entry.get("format", "txt")).upper(),
                "passages": info.rows,
                "pages": entry.get("pages"),
                "url": f"/documents/{quote(doc_id)}",
            }
        )
    return {
        "count": count,
        "listed": docs[:MAX_LISTED],
        "choices": docs if count <= MAX_CHOICES else None,  # None: the filter is a text field
        "created": manifest.get("created", ""),
        "generation": searcher.name,
        "passages": len(searcher.generation.passages),
        "examples": [str(q) for q in manifest.get("examples", [])][:8],
    }


def error_page(request: Request, status: int, detail: str) -> HTMLResponse:
    """An error as a page, for a browser (the JSON API answers `{"detail"}` instead)."""
    return TEMPLATES.TemplateResponse(
        request, "error.html", {"status": status, "detail": detail, "q": ""}, status_code=status
    )


def _whole_number(name: str, value: str | None) -> int | None:
    """A query-string number the page accepts (the form sends text): absent, or digits, else a 422."""
    if value is None or value == "":
        return None
    if not value.strip().isdigit():
        raise InvalidInput(f"{name} must be a whole number")
    return int(value)


def _more_url(q: str, doc: str | None, k: int, offset: int) -> str:
    """The page of the same question's next results."""
    query = {
        "q": q,
        "offset": str(offset),
        **({"k": str(k)} if k != DEFAULT_K else {}),
        **({"doc": doc} if doc else {}),
    }
    return "/?" + urlencode(query)


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def page(
    request: Request,
    q: str | None = None,
    k: str | None = None,
    doc: str | None = None,
    offset: str | None = None,
) -> HTMLResponse:
    doc = doc or None  # the form's "All documents" option sends doc=
    context: dict[str, Any] = {
        "q": q or "",
        "results": None,
        "error": None,
        "answer": None,
        "collection": collection(request.app.state.holder),
        "doc": doc,
    }
    status = 200
    if q is not None:
        try:
            count, skip = _whole_number("k", k), _whole_number("offset", offset)
            _, answer = run_search(request.app.state.holder, q, count, doc, offset=skip)
            context["answer"] = answer
            if answer["more"]:
                context["more_url"] = _more_url(
                    answer["query"], doc, answer["k"], answer["offset"] + answer["k"]
                )
            context["results"] = [_result_view(r) for r in answer["results"]]
            context["score_meaning"] = score_meaning(answer["mode"], request.app.state.settings.ranking())
        except ApiError as exc:
            context["error"] = exc.detail
            status = exc.status
    return TEMPLATES.TemplateResponse(request, "search.html", context, status_code=status)


def document_segments(
    text: str, passages: list[StoredPassage], selected: str | None, page_starts: Sequence[int] = ()
) -> list[dict[str, Any]]:
    """The document cut at passage starts (anchors), page starts (PDF page markers) and around the
    selected passage (marked)."""
    pages = {start: n for n, start in enumerate(page_starts, 1)}
    cuts = {0, len(text), *pages}
    anchors: dict[int, list[str]] = {}
    span: tuple[int, int] | None = None
    for p in passages:
        anchor = passage_anchor(p.passage_id)
        anchors.setdefault(p.start, []).append(anchor)
        cuts.add(p.start)
        if anchor == selected:
            span = (p.start, p.end)
            cuts.update(span)
    points = sorted(cuts)
    return [
        {
            "text": text[a:b],
            "anchors": anchors.get(a, []),
            "mark": bool(span and span[0] <= a < span[1]),
            "page": pages.get(a),
        }
        for a, b in itertools.pairwise(points)
    ]


@router.get("/documents/{doc_id:path}", response_class=HTMLResponse, include_in_schema=False)
def document(request: Request, doc_id: str, p: str | None = None) -> HTMLResponse:
    searcher = request.app.state.holder.searcher
    if searcher is None:
        raise NotReady("the index is not ready")
    # Documents come only from the served generation: a path never reaches the file system.
    doc = searcher.generation.documents.get(doc_id)
    if doc is None:
        raise NotFound("no such document in the index")
    first, end = doc.row_range
    passages = searcher.generation.passages[first:end]
    selected = f"p{p}" if p and p.isdigit() else None
    chosen = next((x for x in passages if passage_anchor(x.passage_id) == selected), None)
    context = {
        "doc": doc,
        "segments": document_segments(doc.text, passages, selected, doc.page_starts),
        "q": "",
        "selected": chosen,
        "collection": collection(request.app.state.holder),
    }
    return TEMPLATES.TemplateResponse(request, "document.html", context)
