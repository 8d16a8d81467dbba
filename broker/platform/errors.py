"""One error hierarchy for the broker, rendered by one handler.

API routes answer RFC 9457 ``application/problem+json``; HTML routes answer an error page.
Errors raised by the ``consent``, ``audit`` and ``adapters`` packages are mapped here, so those
packages stay free of HTTP.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from sqlalchemy.exc import DataError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from broker.platform.logging import REQUEST_ID_HEADER, REQUEST_ID_STATE, current_request_id, request_id_bound

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"


class BrokerError(Exception):
    """Root of every error the broker reports to a caller."""

    status: int = 500
    title: str = "Something went wrong"

    def __init__(self, detail: str | None = None, *, extra: dict[str, Any] | None = None) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.extra = extra or {}


class InvalidInput(BrokerError):
    status = 422
    title = "The request is not valid"


class Unauthenticated(BrokerError):
    status = 401
    title = "Sign in required"


class Forbidden(BrokerError):
    status = 403
    title = "Not allowed"


class NotFound(BrokerError):
    status = 404
    title = "Not found"


class Conflict(BrokerError):
    status = 409
    title = "Conflict with the current state"


class PayloadTooLarge(BrokerError):
    status = 413
    title = "The request is too large"


class ServiceUnavailable(BrokerError):
    status = 503
    title = "The service is temporarily unavailable"


# Errors from the other packages, mapped to broker errors by class name of their root kinds.
# Each package exposes the same small vocabulary (NotFound, InvalidInput, Conflict, NotPermitted)
# without depending on HTTP; the mapping lives here, in the one place that speaks HTTP.
_DOMAIN_STATUS = {
    "NotFound": 404,
    "InvalidInput": 422,
    "Conflict": 409,
    "NotPermitted": 403,
}


def _status_of_domain_error(exc: Exception) -> int:
    for cls in type(exc).__mro__:
        if cls.__name__ in _DOMAIN_STATUS:
            return _DOMAIN_STATUS[cls.__name__]
    return 400


def _wants_problem_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or request.url.path.startswith("/oidc/")


def problem_response(
    request: Request, status: int, title: str, detail: str, extra: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
        "request_id": current_request_id(),
    }
    body.update(extra or {})
    if _wants_problem_json(request):
        return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)
    templates = getattr(request.app.state, "templates", None)
    if templates is not None:
        return templates.TemplateResponse(
            request, "error.html", {"problem": body}, status_code=status, headers=headers
        )
    return HTMLResponse(
        f"<!doctype html><title>{status}</title><h1>{title}</h1>", status_code=status, headers=headers
    )


RefusalHook = Callable[[Request, int, str], None]


def install_error_handlers(
    app: FastAPI, domain_roots: tuple[type[Exception], ...] = (), on_refusal: RefusalHook | None = None,
) -> None:
    """Render every error, expected or not, the same way; never leak a stack trace.

    ``domain_roots`` are the root error classes of the other packages; their subclasses named
    NotFound, InvalidInput, Conflict or NotPermitted map to 404, 422, 409 and 403.
    ``on_refusal(request, status, detail)`` is called (in a worker thread, after the request's own
    transaction has ended) for every refusal and every error, so that it can be audited.
    """

    async def _refused(request: Request, status: int, detail: str) -> None:
        # A 503 means the database is out of reach: writing to the audit log would only wait on it.
        if on_refusal is not None and status >= 400 and status != 503:
            await run_in_threadpool(on_refusal, request, status, detail)

    async def _domain_error(request: Request, exc: Exception) -> Response:
        status = _status_of_domain_error(exc)
        await _refused(request, status, str(exc))
        return problem_response(request, status, HTTPStatus(status).phrase, str(exc))

    for root in domain_roots:
        app.add_exception_handler(root, _domain_error)

    # The database is down or restarting, or every pooled connection is busy: the caller may
    # retry shortly, and the pool (which pings each connection it hands out) recovers by itself.
    @app.exception_handler(OperationalError)
    @app.exception_handler(InterfaceError)
    @app.exception_handler(PoolTimeout)
    async def _database_unavailable(request: Request, exc: Exception) -> Response:
        log.error("database unavailable", extra={"error_type": type(exc).__name__})
        return problem_response(
            request, 503, ServiceUnavailable.title,
            "The database cannot be reached. Please try again shortly.",
            headers={"Retry-After": "5"},
        )

    @app.exception_handler(DataError)
    async def _value_not_storable(request: Request, exc: Exception) -> Response:
        # PostgreSQL refuses some values SQLite takes (a NUL character in text, a number out of
        # range): the caller's input, not a fault of the broker.
        log.warning("value refused by the database", extra={"error_type": type(exc).__name__})
        detail = "A value in the request cannot be stored (for example, it holds a NUL character)."
        await _refused(request, 422, detail)
        return problem_response(request, 422, InvalidInput.title, detail)

    @app.exception_handler(BrokerError)
    async def _broker_error(request: Request, exc: BrokerError) -> Response:
        headers = {"Retry-After": "5"} if exc.status == 503 else None
        if exc.status == 401:
            headers = {"WWW-Authenticate": "Bearer"}
        await _refused(request, exc.status, exc.detail)
        return problem_response(request, exc.status, exc.title, exc.detail, exc.extra, headers)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> Response:
        errors = [
            {"location": list(map(str, e.get("loc", ()))), "message": e.get("msg", "")}
            for e in exc.errors()
        ]
        return problem_response(
            request, 422, InvalidInput.title, "Some fields are missing or not valid.", {"errors": errors}
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        title = HTTPStatus(exc.status_code).phrase if exc.status_code in HTTPStatus._value2member_map_ else "Error"
        detail = exc.detail if isinstance(exc.detail, str) else title
        await _refused(request, exc.status_code, detail)
        return problem_response(request, exc.status_code, title, detail, headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        # Starlette answers unhandled errors outside every middleware: the request id middleware
        # has ended and the security headers middleware never sees this response, so the id is
        # bound again here and the headers given here.
        request_id = current_request_id() or getattr(request.state, REQUEST_ID_STATE, None)
        with request_id_bound(request_id):
            log.exception("unhandled error", extra={"error_type": type(exc).__name__})
            await _refused(request, 500, f"An unexpected error occurred ({type(exc).__name__}).")
            headers = {**getattr(request.app.state, "security_headers", {}), "Cache-Control": "no-store"}
            if request_id:
                headers[REQUEST_ID_HEADER] = request_id
            return problem_response(request, 500, BrokerError.title, "An unexpected error occurred.", headers=headers)
