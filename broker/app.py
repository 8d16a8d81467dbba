"""The FastAPI application, built by ``create_app(settings)``: no module-level app or engine."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.templating import Jinja2Templates

from audit.errors import AuditError
from broker import auditing
from broker.api import assessments, break_glass, consents, health, me
from broker.api import audit as audit_api
from broker.auth.dependencies import build_token_verifier
from broker.db import Database
from broker.errors import install_error_handlers
from consent.errors import ConsentError
from broker.logging import RequestContextMiddleware, configure_logging
from broker.migrate import script_heads
from broker.settings import Settings

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the broker for ``settings`` (read from the environment when not given)."""
    settings = settings or Settings()
    database = Database(settings)

    checkpointer = auditing.Checkpointer(database, settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        checkpointer.start()
        yield
        checkpointer.stop()
        database.dispose()

    app = FastAPI(
        title="SEND consent broker",
        summary="Consent-aware sharing of records for EHC needs assessments.",
        version="0.1.0",
        lifespan=lifespan,
        docs_url="/api/docs",
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    app.state.settings = settings
    app.state.database = database
    app.state.migration_heads = script_heads()
    app.state.templates = Jinja2Templates(directory=str(TEMPLATES_DIR))
    app.state.token_verifier = build_token_verifier(settings)

    install_error_handlers(app, domain_roots=(ConsentError, AuditError))
    app.add_middleware(RequestContextMiddleware)
    app.include_router(health.router)
    app.include_router(me.router)
    app.include_router(consents.router)
    app.include_router(consents.well_known)
    app.include_router(audit_api.router)
    app.include_router(audit_api.subjects_router)
    app.include_router(assessments.router)
    app.include_router(break_glass.router)
    return app


def app_from_environment() -> FastAPI:
    """Entry point for ``uvicorn --factory``."""
    settings = Settings()
    configure_logging(settings.log_level)
    return create_app(settings)
