"""HTTP glue shared by every context: problem+json handlers, client address, common responses."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any
from urllib.parse import parse_qsl

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, IntegrityError
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from navio.kernel.errors import PROBLEM_JSON, DomainError, problem

log = structlog.get_logger("navio.errors")

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
}


def problem_response(body: dict[str, Any], headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(body, status_code=body["status"], headers=headers, media_type=PROBLEM_JSON)


def _field_path(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in {"body", "query", "path", "header", "cookie"}:
        parts = parts[1:] if len(parts) > 1 else parts
    return ".".join(parts)


def _validation_problem(raw: Sequence[Any], instance: str) -> dict[str, Any]:
    """The 422 problem for validation errors in Pydantic's shape (``loc``, ``msg``, ``type``)."""
    errors = _problem_errors(raw)
    fields = ", ".join(sorted({e["field"] for e in errors})) or "request"
    return problem(
        422,
        "validation_error",
        "Invalid request",
        f"invalid value for: {fields}",
        instance=instance,
        errors=errors,
    )


def _problem_errors(raw: Sequence[Any]) -> list[dict[str, Any]]:
    errors = []
    for err in raw:
        errors.append(
            {
                "field": _field_path(err.get("loc", ())),
                "location": str(err.get("loc", ("body",))[0]),
                "message": err.get("msg", "invalid value"),
                "type": err.get("type", "value_error"),
            }
        )
    return errors


NUL = "\x00"
_NUL_MESSAGE = "must not contain the NUL character (U+0000)"
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _nul_paths(value: Any, loc: tuple[str | int, ...]) -> list[tuple[str | int, ...]]:
    """The locations of every string (value or key) holding a NUL character in decoded JSON."""
    if isinstance(value, str):
        return [loc] if NUL in value else []
    found: list[tuple[str | int, ...]] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if NUL in key:
                found.append((*loc, key))
            found.extend(_nul_paths(item, (*loc, key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found.extend(_nul_paths(item, (*loc, index)))
    return found


def _nul_errors(locations: list[tuple[str | int, ...]]) -> list[dict[str, Any]]:
    return [{"loc": loc, "msg": _NUL_MESSAGE, "type": "string_nul"} for loc in locations]


def _json_body(scope: Scope) -> bool:
    """Whether the route would read the body as JSON (FastAPI does when no type is given)."""
    for name, value in scope["headers"]:
        if name == b"content-type":
            media: bytes = value.split(b";", 1)[0].strip().lower()
            return media == b"application/json" or media.endswith(b"+json")
    return True


class RejectNulMiddleware:
    """A 422 for any NUL character in the path, a query parameter or a JSON body.

    No text Navio keeps may hold one: PostgreSQL refuses it in text columns (a 500 after the
    rest of the request had run), SQLite would store it; both backends now answer the same,
    before any route runs. A request without one costs a substring test of the query string
    and of the JSON body, which is read whole here and handed on (the routes read it whole
    anyway). Form fields are checked by ``reject_nul_in_form`` on the routes that take forms.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        locations: list[tuple[str | int, ...]] = []
        if NUL in scope["path"]:
            locations.append(("path",))
        query: bytes = scope["query_string"]
        if b"%00" in query or b"\x00" in query:
            for key, value in parse_qsl(query.decode("latin-1"), keep_blank_values=True):
                if NUL in key or NUL in value:
                    locations.append(("query", key))
        if not locations and scope["method"] in _BODY_METHODS and _json_body(scope):
            messages: list[Message] = []
            while True:
                message = await receive()
                messages.append(message)
                if message["type"] != "http.request" or not message.get("more_body", False):
                    break
            body = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.request")
            # in JSON text a NUL can only be written as this escape (raw control characters
            # are invalid there); a body that does not parse is the route's own 4xx
            if b"\\u0000" in body:
                try:
                    decoded = json.loads(body)
                except ValueError:
                    decoded = None
                locations.extend(_nul_paths(decoded, ("body",)))
            if not locations:
                pending = iter(messages)

                async def replay() -> Message:
                    return next(pending, None) or await receive()

                await self.app(scope, replay, send)
                return
        if not locations:
            await self.app(scope, receive, send)
            return
        response = problem_response(_validation_problem(_nul_errors(locations), scope["path"]))
        await response(scope, receive, send)


async def reject_nul_in_form(request: Request) -> None:
    """The form fields' part of ``RejectNulMiddleware`` (a dependency of the routes with forms:
    the form is parsed once, the route's own parse is cached)."""
    form = await request.form()
    locations: list[tuple[str | int, ...]] = [
        ("body", key)
        for key, field in form.multi_items()
        if NUL in key or (not isinstance(field, UploadFile) and NUL in field)
    ]
    if locations:
        raise RequestValidationError(_nul_errors(locations))


RETRYABLE_SQLSTATES = frozenset({"40P01", "40001"})  # deadlock detected, serialization failure


def _sqlstate(exc: DBAPIError) -> str | None:
    original = exc.orig
    for name in ("sqlstate", "pgcode"):
        value = getattr(original, name, None) or getattr(
            getattr(original, "__cause__", None), name, None
        )
        if isinstance(value, str):
            return value
    return None


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> JSONResponse:
        return problem_response(exc.to_problem(request.url.path), exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        return problem_response(_validation_problem(exc.errors(), request.url.path))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _HTTP_CODES.get(exc.status_code, f"http_{exc.status_code}")
        detail = exc.detail if isinstance(exc.detail, str) else "request failed"
        body = problem(exc.status_code, code, detail, detail, instance=request.url.path)
        return problem_response(body, dict(exc.headers or {}))

    @app.exception_handler(IntegrityError)
    async def _integrity(request: Request, exc: IntegrityError) -> JSONResponse:
        # Constraints are the last line against races between concurrent requests; the
        # transaction was rolled back, so the client can safely retry.
        log.warning("http.integrity_conflict", path=request.url.path, error=type(exc.orig).__name__)
        body = problem(
            409,
            "concurrent_conflict",
            "Conflicting concurrent change",
            "the request conflicts with a concurrent change; nothing was written, retry it",
            instance=request.url.path,
        )
        return problem_response(body)

    @app.exception_handler(DBAPIError)
    async def _database(request: Request, exc: DBAPIError) -> JSONResponse:
        # PostgreSQL ended the transaction to break a deadlock or a serialization failure:
        # nothing was written and the same request can simply be sent again.
        if exc.connection_invalidated:
            log.warning("http.database_reconnect", path=request.url.path)
            body = problem(
                503,
                "database_reconnect",
                "Database connection was reset",
                "the database connection was lost and has been replaced; retry the request",
                instance=request.url.path,
            )
            return problem_response(body, {"Retry-After": "1"})
        if _sqlstate(exc) in RETRYABLE_SQLSTATES:
            log.warning("http.retryable_conflict", path=request.url.path, sqlstate=_sqlstate(exc))
            body = problem(
                409,
                "concurrent_conflict",
                "Conflicting concurrent change",
                "the request met a concurrent change; nothing was written, retry it",
                instance=request.url.path,
            )
            return problem_response(body, {"Retry-After": "1"})
        return await _unexpected(request, exc)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("http.unhandled_error", path=request.url.path)
        body = problem(
            500,
            "internal_error",
            "Internal error",
            "an unexpected error occurred; it has been logged",
            instance=request.url.path,
            request_id=getattr(request.state, "request_id", None),
        )
        return problem_response(body)


def client_ip(request: Request, *, trust_forwarded_for: bool) -> str:
    if trust_forwarded_for:
        forwarded = request.headers.get("x-forwarded-for")
        if forwarded:
            return forwarded.split(",")[0].strip()
    return request.client.host if request.client else "unknown"


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` entries declaring problem+json errors."""
    return {
        status: {
            "description": _HTTP_CODES.get(status, "error").replace("_", " "),
            "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for status in statuses
    }
