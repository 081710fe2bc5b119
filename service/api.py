"""Owns the JSON routes: search (GET and POST), health, readiness, metrics, admin re-index."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from query.config import Mode
from service.errors import InvalidInput, NotFound, Unauthorized, UnsupportedMediaType
from service.queries import DEFAULT_K, MAX_K, MAX_OFFSET, MAX_QUERY_CHARS, run_search


class ErrorBody(BaseModel):
    """Every error answer: what is wrong, in words."""

    detail: str


def _errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    return {code: {"model": ErrorBody} for code in codes}


router = APIRouter()


class SearchRequest(BaseModel):
    """The POST body of /api/search."""

    model_config = ConfigDict(extra="forbid", strict=True)

    q: str = Field(description=f"The question, 1 to {MAX_QUERY_CHARS} characters after trimming")
    k: int = Field(DEFAULT_K, description=f"Number of passages, 1 to {MAX_K}")
    doc: str | None = Field(None, description="Restrict the search to this document id")
    mode: Mode | None = Field(None, description="Ranking mode (default: hybrid)")
    offset: int = Field(0, description=f"Results skipped (0 to {MAX_OFFSET}): the next page is offset + k")


def _state(request: Request) -> Any:
    return request.app.state


def _search(
    request: Request,
    q: str | None,
    k: int | None,
    doc: str | None,
    mode: str | None = None,
    offset: int | None = None,
) -> dict[str, Any]:
    state = _state(request)
    with state.metrics.searches.time():
        _, body = run_search(state.holder, q, k, doc, mode, offset)
    return body


@router.get("/api/search", summary="Search passages (query string)", responses=_errors(422, 503))
def search_get(
    request: Request,
    q: Annotated[str, Query(description=f"The question, 1 to {MAX_QUERY_CHARS} characters after trimming")],
    k: Annotated[int, Query(description=f"Number of passages, 1 to {MAX_K}")] = DEFAULT_K,
    doc: Annotated[str | None, Query(description="Restrict the search to this document id")] = None,
    mode: Annotated[Mode | None, Query(description="Ranking mode (default: hybrid)")] = None,
    offset: Annotated[int, Query(description=f"Results skipped, 0 to {MAX_OFFSET}")] = 0,
) -> dict[str, Any]:
    return _search(request, q, k, doc, mode, offset)


@router.post(
    "/api/search",
    summary="Search passages (JSON body)",
    responses={200: {"description": "Ranked passages"}, **_errors(413, 415, 422, 503)},
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": SearchRequest.model_json_schema()}},
        }
    },
)
async def search_post(request: Request) -> JSONResponse:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/json":
        raise UnsupportedMediaType('send the body as application/json: {"q": "...", "k": 5}')
    raw = await request.body()
    try:
        payload = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"body is not valid JSON: {exc}") from None
    try:
        body = SearchRequest.model_validate(payload)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}" for e in exc.errors()
        )
        raise InvalidInput(f'expected {{"q": string, "k": integer, "doc": string}}: {problems}') from None
    from starlette.concurrency import run_in_threadpool

    # Embedding is CPU-bound: keep it off the event loop like the sync GET route.
    result = await run_in_threadpool(_search, request, body.q, body.k, body.doc, body.mode, body.offset)
    return JSONResponse(result)


@router.get("/healthz", summary="Liveness: 200 while the process runs")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get(
    "/readyz",
    summary="Readiness: 200 once a generation is served, else 503",
    responses={503: {"description": "No generation is served yet; the body says why"}},
)
def readyz(request: Request) -> JSONResponse:
    holder = _state(request).holder
    searcher = holder.searcher
    body: dict[str, Any] = {"status": "ready" if searcher else holder.status}
    if searcher is not None:
        body["generation"] = searcher.name
        body["passages"] = len(searcher.generation.passages)
    if holder.encoder:
        body["query_encoder"] = holder.encoder
    if holder.encoders_refused:
        body["query_encoders_refused"] = holder.encoders_refused
    if holder.last_error:
        body["error"] = holder.last_error
    if holder.rejected:
        body["rejected"] = holder.rejected
    return JSONResponse(body, status_code=200 if searcher else 503)


@router.get("/metrics", summary="Prometheus metrics")
def metrics(request: Request) -> Response:
    from prometheus_client import CONTENT_TYPE_LATEST

    return Response(_state(request).metrics.render(), media_type=CONTENT_TYPE_LATEST)


def _require_admin(request: Request, authorization: str | None) -> Any:
    from service.admin import token_matches

    state = _state(request)
    token = state.settings.admin_token
    if token is None:
        raise NotFound("Not Found")  # admin routes are off: indistinguishable from absent
    if not token_matches(token.get_secret_value(), authorization):
        raise Unauthorized("unauthorized", headers={"WWW-Authenticate": "Bearer"})
    return state.jobs


@router.post(
    "/api/admin/reindex",
    status_code=202,
    summary="Start a batch re-index (one at a time)",
    responses=_errors(401, 404, 409),
)
def reindex(request: Request, authorization: Annotated[str | None, Header()] = None) -> JSONResponse:
    jobs = _require_admin(request, authorization)
    job, new = jobs.start()
    return JSONResponse(
        {**job.as_dict(), "new": new},
        status_code=202,
        headers={"Location": f"/api/admin/reindex/{job.job}"},
    )


@router.get(
    "/api/admin/reindex/{job_id}", summary="State of a re-index job", responses=_errors(401, 404, 422)
)
def reindex_status(
    request: Request, job_id: str, authorization: Annotated[str | None, Header()] = None
) -> dict[str, Any]:
    jobs = _require_admin(request, authorization)
    job = jobs.get(job_id)
    if job is None:
        raise NotFound("no such re-index job")
    result: dict[str, Any] = job.as_dict()
    return result
