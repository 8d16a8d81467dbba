"""Liveness and readiness probes for load balancers and orchestrators."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from broker.auth.dependencies import PUBLIC_OPERATION
from broker.platform.db import DatabaseDep
from broker.platform.readiness import readiness

router = APIRouter(tags=["health"])


@router.get("/healthz", openapi_extra=PUBLIC_OPERATION)
def healthz() -> dict[str, str]:
    """The process is up and answering."""
    return {"status": "ok"}


@router.get("/readyz", openapi_extra=PUBLIC_OPERATION,
            responses={503: {"description": "The database is unreachable or not migrated"}})
def readyz(request: Request, database: DatabaseDep) -> JSONResponse:
    """The database is reachable and its schema is at the migration head the code expects."""
    found = readiness(database, request.app.state.migration_heads)
    if not found.ready:
        return JSONResponse(found.answer, status_code=503, headers={"Retry-After": str(found.retry_after)})
    return JSONResponse(found.answer)
