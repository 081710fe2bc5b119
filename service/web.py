"""Owns the web page: the search box, server-rendered results, and documents shown in context."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from query.config import Ranking
from service.catalog import Entry
from service.errors import ApiError, InvalidInput, NotFound, NotReady
from service.queries import DEFAULT_K, run_search
from service.rendering import document_blocks, passage_anchor, passage_view

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
router = APIRouter()


def context_url(
    doc_id: str, passage_id: str, q: str | None = None, answer: tuple[int, int] | None = None
) -> str:
    """Where a passage is read in its document; with the question (the way back to its results) and the
    answer sentence's offsets inside the passage (marked there too)."""
    anchor = passage_anchor(passage_id)
    query = {
        "p": anchor[1:],
        **({"q": q} if q else {}),
        **({"a": f"{answer[0]}-{answer[1]}"} if answer else {}),
    }
    return f"/documents/{quote(doc_id)}?{urlencode(query)}#{anchor}"


def _result_view(result: dict[str, Any], q: str) -> dict[str, Any]:
    """The result as the page shows it: the passage cut around its answer sentence and its code, so the
    template escapes each piece and wraps them in <mark> and <code>; the snippet is the answer sentence
    with a little of what surrounds it."""
    hl = result["highlight"]
    code = [(c["start"], c["end"]) for c in result["code"]]
    return {
        **result,
        **passage_view(result["text"], (hl["start"], hl["end"]), code),
        "url": context_url(result["document"], result["passage_id"], q, (hl["start"], hl["end"])),
        "notes": [
            {"label": n["label"], "url": context_url(result["document"], n["passage_id"])}
            for n in result["footnotes"]
        ],
        "copies": [
            {
                "title": c["title"],
                "document": c["document"],
                "here": c["document"] == result["document"],  # repeated further on in the same document
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


def collection(state: Any) -> dict[str, Any] | None:
    """What the served generation holds, for the start page and the document filter (None before one):
    the first documents in natural title order, and all of them as choices in a small collection."""
    searcher = state.holder.searcher
    if searcher is None:
        return None
    catalog = state.catalogs.of(searcher.generation)
    count = len(catalog.entries)
    manifest = searcher.generation.manifest
    return {
        "count": count,
        "listed": catalog.entries[:MAX_LISTED],
        "choices": catalog.entries if count <= MAX_CHOICES else None,  # None: the filter is a text field
        "created": manifest.get("created", ""),
        "generation": searcher.name,
        "passages": len(searcher.generation.passages),
        "examples": [str(q) for q in manifest.get("examples", [])][:8],
    }


def resolve_document(state: Any, doc: str | None) -> tuple[str | None, list[Entry]]:
    """The document a page's filter names: its file name, else the one document whose title or file name
    holds the text; when several do, none, and those to choose from (at most MAX_LISTED)."""
    searcher = state.holder.searcher
    if doc is None or searcher is None or doc in searcher.generation.documents:
        return doc, []
    found = state.catalogs.of(searcher.generation).find(doc)
    if len(found) == 1:
        return found[0].doc_id, []
    if not found:
        return doc, []  # the search answers "not a document in the index"
    return None, found[:MAX_LISTED]


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
        "collection": collection(request.app.state),
        "doc": doc,
    }
    status = 200
    doc, choices = resolve_document(request.app.state, doc)
    if choices:
        context["choices"] = [
            {"title": e.title, "doc_id": e.doc_id, "url": "/?" + urlencode({"q": q or "", "doc": e.doc_id})}
            for e in choices
        ]
        context["choices_for"] = context["doc"]
        q = None  # ask which document first
    context["doc"] = doc or context["doc"]
    if q is not None:
        try:
            count, skip = _whole_number("k", k), _whole_number("offset", offset)
            _, answer = run_search(request.app.state.holder, q, count, doc, offset=skip)
            context["answer"] = answer
            if answer["more"]:
                context["more_url"] = _more_url(
                    answer["query"], doc, answer["k"], answer["offset"] + answer["k"]
                )
            context["results"] = [_result_view(r, answer["query"]) for r in answer["results"]]
            context["score_meaning"] = score_meaning(answer["mode"], request.app.state.settings.ranking())
        except ApiError as exc:
            context["error"] = exc.detail
            status = exc.status
    return TEMPLATES.TemplateResponse(request, "search.html", context, status_code=status)


def _answer_offsets(value: str | None) -> tuple[int, int] | None:
    """`a=START-END` of a "Read in context" link (anything else is ignored: it only adds a mark)."""
    start, _, end = (value or "").partition("-")
    return (int(start), int(end)) if start.isdigit() and end.isdigit() else None


@router.get("/documents/{doc_id:path}", response_class=HTMLResponse, include_in_schema=False)
def document(
    request: Request, doc_id: str, p: str | None = None, q: str | None = None, a: str | None = None
) -> HTMLResponse:
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
        "blocks": document_blocks(doc.text, doc.marks, passages, chosen, doc.page_starts, _answer_offsets(a)),
        "q": q or "",
        "back_url": "/?" + urlencode({"q": q}) if q else None,
        "selected": chosen,
        "collection": collection(request.app.state),
    }
    return TEMPLATES.TemplateResponse(request, "document.html", context)


@router.get("/documents", response_class=HTMLResponse, include_in_schema=False)
def documents(request: Request, title: str | None = None, page: str | None = None) -> HTMLResponse:
    """Every document of the collection, in pages, found by part of its title or file name."""
    searcher = request.app.state.holder.searcher
    if searcher is None:
        raise NotReady("the index is not ready")
    wanted = _whole_number("page", page) or 1
    listing = request.app.state.catalogs.of(searcher.generation).page(wanted, title or "")

    def url(number: int) -> str:
        return "/documents?" + urlencode({**({"title": title} if title else {}), "page": str(number)})

    context = {
        "listing": listing,
        "title": title or "",
        "previous_url": url(listing.number - 1) if listing.number > 1 else None,
        "next_url": url(listing.number + 1) if listing.number < listing.pages else None,
        "q": "",
        "collection": collection(request.app.state),
    }
    return TEMPLATES.TemplateResponse(request, "documents.html", context)
