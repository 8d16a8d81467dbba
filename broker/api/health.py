"""Liveness and readiness probes for load balancers and orchestrators."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text

from broker.auth.dependencies import PUBLIC_OPERATION
from broker.platform.db import DatabaseDep
from broker.platform.migrate import current_revisions

router = APIRouter(tags=["health"])


@router.get("/healthz", openapi_extra=PUBLIC_OPERATION)
def healthz() -> dict[str, str]:
    """The process is up and answering."""
    return {"status": "ok"}


@router.get("/readyz", openapi_extra=PUBLIC_OPERATION,
            responses={503: {"description": "The database is unreachable or not migrated"}})
def readyz(request: Request, database: DatabaseDep) -> JSONResponse:
    """The database is reachable and its schema is at the migration head the code expects."""
    expected = request.app.state.migration_heads
    try:
        with database.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        current = current_revisions(database.engine)
    except Exception as exc:  # any failure to reach the database means not ready
        return JSONResponse(
            {"status": "unavailable", "database": "unreachable", "error_type": type(exc).__name__},
            status_code=503, headers={"Retry-After": "5"},
        )
    if tuple(sorted(current)) != tuple(sorted(expected)):
        return JSONResponse(
            {"status": "unavailable", "database": "not at migration head",
             "current": list(current), "expected": list(expected)},
            status_code=503, headers={"Retry-After": "30"},
        )
    return JSONResponse({"status": "ok", "database": "ok", "revision": list(current)})
