"""Refusals and errors written to the audit log, each in a transaction of its own.

A request that a signed-in caller may not make, or that the rules refuse (a withdrawal of a
withdrawn permission, an answer given twice, a grantor without standing, a role that may not use
an endpoint), changes nothing: its own transaction is rolled back.  The refusal itself is still a
decision the audit log must hold, so the error handler calls :func:`audit_refusal` once that
rollback is done, and the entry commits on its own.  An unexpected error met by a signed-in caller is recorded the
same way (``request.failed``), with the kind of error but never its message.

What is recorded is metadata only: who, which endpoint, the identifiers in its path, the status
and the plain-English reason the caller was given.  Never the request body.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from fastapi import Request

from broker.audit_trail import auditing, catalogue
from broker.auth.principal import Principal

log = logging.getLogger(__name__)

_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def mark_audited(request: Request) -> None:
    """Say that the route has already written its own, more specific, refusal entry."""
    request.state.refusal_audited = True


def _caller(request: Request) -> Principal | None:
    return getattr(request.state, "principal", None) or getattr(request.state, "web_principal", None)


def _is_refusal_to_record(request: Request, status: int) -> bool:
    if status == 403 or status >= 500:
        return True
    # A read that finds nothing is not a decision; a change that is refused is.
    return request.method not in _SAFE_METHODS and status in (404, 409, 410, 422)


def _subject_of(path_params: dict[str, Any]) -> str | None:
    subject = path_params.get("subject_id")
    if subject is None:
        return None
    try:
        return str(uuid.UUID(str(subject)))
    except ValueError:
        return None


def audit_refusal(request: Request, status: int, reason: str) -> None:
    """Record that a signed-in caller's request was refused or failed; never raise (the answer must go out)."""
    caller = _caller(request)
    if caller is None or getattr(request.state, "refusal_audited", False):
        return
    if not _is_refusal_to_record(request, status):
        return
    route = request.scope.get("route")
    path_params = {k: str(v) for k, v in request.path_params.items()}
    failed = status >= 500
    event = catalogue.request_refused(
        caller, failed=failed, subject_id=_subject_of(path_params), reason=reason,
        request={
            "endpoint": getattr(route, "name", None), "method": request.method,
            "path": getattr(route, "path", None), "path_params": path_params, "status": status,
        },
    )
    try:
        auditing.record_separately(request.app.state.database, event)
        request.state.refusal_audited = True
    except Exception as exc:  # the caller still gets their answer; the failure is logged, not hidden
        log.error("could not write a refusal to the audit log", extra={"error_type": type(exc).__name__})
