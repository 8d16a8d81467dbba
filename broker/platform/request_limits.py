"""Limits on what one request may send: its body's size and, for JSON, how deeply it nests.

Without them a client could make the broker hold an arbitrarily large body in memory, or send a
few kilobytes of ``[[[[...`` that exhaust the JSON parser's recursion.  A body over the limit is
refused with 413 whether or not it declares a Content-Length (a chunked body is counted as it
arrives); JSON nested deeper than the limit is refused with 422 before anything parses it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from fastapi import FastAPI
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from broker.platform.errors import InvalidInput, PayloadTooLarge, problem_response
from broker.platform.settings import Settings

# Room for the form fields and multipart framing around an uploaded file.
_FORM_OVERHEAD_BYTES = 64 * 1024

_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_A_BRACKET = re.compile(rb"[^\[\]{}]+")


_PAIR = re.compile(rb"\[\]|\{\}")


def nests_deeper_than(body: bytes, limit: int) -> bool:
    """Whether arrays and objects in ``body`` nest more than ``limit`` levels deep (brackets
    inside strings do not count).

    Needs no recursion and only a bounded number of passes over the body, so it is safe on
    hostile input; it does not validate the JSON, which the parser does afterwards.
    """
    brackets = _NOT_A_BRACKET.sub(b"", _JSON_STRING.sub(b"", body))
    if brackets.count(b"[") + brackets.count(b"{") <= limit:
        return False
    removed_levels = 0
    while removed_levels < limit:
        reduced = _PAIR.sub(b"", brackets)
        if not reduced:
            return False
        if reduced == brackets:
            break
        brackets = reduced
        removed_levels += 1
    depth = removed_levels
    for byte in brackets:
        depth += 1 if byte in b"[{" else -1
        if depth > limit:
            return True
        if depth < removed_levels:
            return False
    return False


def _is_json(scope: Scope) -> bool:
    for name, value in scope.get("headers") or []:
        if name == b"content-type":
            media_type = value.split(b";", 1)[0].strip().lower()
            return media_type == b"application/json" or media_type.endswith(b"+json")
    return False


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers") or []:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


class RequestLimitsMiddleware:
    """Refuses bodies larger than ``max_bytes`` (or a larger limit for the paths in ``larger``,
    such as the upload of scanned reports) and JSON nested deeper than ``max_json_depth``."""

    def __init__(
        self, app: ASGIApp, max_bytes: int, max_json_depth: int, larger: Mapping[str, int] | None = None,
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.max_json_depth = max_json_depth
        self.larger = dict(larger or {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.larger.get(scope["path"].rstrip("/"), self.max_bytes)
        declared = _declared_length(scope)
        if declared is not None and declared > limit:
            await self._refuse(scope, receive, send, _too_large(limit))
            return
        if _is_json(scope):
            await self._json(scope, receive, send, limit)
            return

        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # An HTTP error, so that a form parser reading the body passes it on unchanged.
                    raise HTTPException(413, _too_large(limit).detail)
            return message

        await self.app(scope, counting_receive, send)

    async def _json(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        """Reads the whole JSON body (it is at most ``limit`` bytes), checks it, then replays it."""
        chunks: list[bytes] = []
        received = 0
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            received += len(chunk)
            if received > limit:
                await self._refuse(scope, receive, send, _too_large(limit))
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        if nests_deeper_than(body, self.max_json_depth):
            error = InvalidInput(f"the JSON body nests more than {self.max_json_depth} levels deep")
            await self._refuse(scope, receive, send, error)
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, error: PayloadTooLarge | InvalidInput) -> None:
        response = problem_response(Request(scope), error.status, error.title, error.detail)
        await response(scope, receive, send)


def _too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(f"the request body is larger than {_size(limit)}")


def _size(limit: int) -> str:
    if limit >= 1024 * 1024 and limit % (1024 * 1024) == 0:
        return f"{limit // (1024 * 1024)} MiB"
    if limit >= 1024 and limit % 1024 == 0:
        return f"{limit // 1024} KiB"
    return f"{limit} bytes"


def install_request_limits(app: FastAPI, settings: Settings) -> None:
    """The limits from ``settings``, with the EP paper store's upload allowed its scans' size."""
    from adapters.service import MAX_PAPER_BYTES

    app.add_middleware(
        RequestLimitsMiddleware, max_bytes=settings.max_request_bytes, max_json_depth=settings.max_json_depth,
        larger={"/api/v1/ep-documents": max(settings.max_request_bytes, MAX_PAPER_BYTES + _FORM_OVERHEAD_BYTES)},
    )
