"""Owns the one error model of the service and its mapping to HTTP responses."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException


class ApiError(Exception):
    """An error the client can act on; `status` is its HTTP status and `detail` says what is wrong."""

    status = 400

    def __init__(self, detail: str, status: int | None = None, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.status = status or type(self).status
        self.headers = headers


class InvalidInput(ApiError):
    status = 422


class NotFound(ApiError):
    status = 404


class Unauthorized(ApiError):
    status = 401


class Conflict(ApiError):
    status = 409


class PayloadTooLarge(ApiError):
    status = 413


class UnsupportedMediaType(ApiError):
    status = 415


class NotReady(ApiError):
    status = 503


INTERNAL_ERROR = "internal error"  # the whole detail of a 500: nothing internal reaches the client


def error_body(detail: Any) -> dict[str, Any]:
    return {"detail": detail}


HtmlRenderer = Callable[[Request, int, str], Response]


def wants_html(request: Request) -> bool:
    """A browser asking for a page (not the JSON API): errors answer as an HTML page."""
    return not request.url.path.startswith("/api/") and "text/html" in request.headers.get("accept", "")


def _describe(exc: RequestValidationError) -> str:
    """Readable messages that never echo the input (it may hold invalid Unicode or huge values)."""
    parts = []
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ()) if p not in ("query", "body", "path")]
        parts.append(f"{'.'.join(loc) or 'request'}: {err.get('msg', 'invalid')}")
    return "; ".join(parts) or "invalid request"


def install_error_handlers(app: FastAPI, html: HtmlRenderer) -> None:
    """Register the handlers once: ApiError, validation errors and HTTP errors, as JSON `{"detail"}` or,
    for a browser outside /api/, as a page made by `html`. (Unexpected exceptions become a 500 in the
    HeadersAndMetrics middleware, so that answer carries the security headers too.)"""

    def answer(request: Request, status: int, detail: Any, headers: Mapping[str, str] | None) -> Response:
        if wants_html(request) and isinstance(detail, str):
            response = html(request, status, detail)
            response.headers.update(dict(headers or {}))
            return response
        return JSONResponse(error_body(detail), status_code=status, headers=dict(headers or {}))

    async def api_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ApiError)
        return answer(request, exc.status, exc.detail, exc.headers)

    async def validation_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        return answer(request, 422, _describe(exc), None)

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        return answer(request, exc.status_code, exc.detail, exc.headers)

    app.add_exception_handler(ApiError, api_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
