"""The FastAPI application, built by ``create_app(settings)``: no module-level app or engine."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.templating import Jinja2Templates

from adapters.errors import AdapterError
from audit.errors import AuditError
from broker import auditing
from broker.api import audit as audit_api
from broker.api import consents, ep_documents, health, identity_links, me
from broker.auth.dependencies import build_token_verifier
from broker.db import Database
from broker.encryption.service import RecordEncryption
from broker.errors import install_error_handlers
from consent.errors import ConsentError
from broker.logging import RequestContextMiddleware, configure_logging
from broker.migrate import script_heads
from broker.settings import EMBEDDED_SIMULATOR_SECRET, Settings
from broker.sources import SIMULATOR_PREFIX, build_registry

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
    app.state.record_encryption = RecordEncryption.from_settings(settings)
    app.state.migration_heads = script_heads()
    app.state.templates = Jinja2Templates(directory=str(TEMPLATES_DIR))
    app.state.token_verifier = build_token_verifier(settings)
    app.state.adapters = build_registry(settings, database.sessions)

    install_error_handlers(app, domain_roots=(ConsentError, AuditError, AdapterError))
    app.add_middleware(RequestContextMiddleware)
    app.include_router(health.router)
    app.include_router(me.router)
    app.include_router(consents.router)
    app.include_router(consents.well_known)
    app.include_router(audit_api.router)
    app.include_router(audit_api.subjects_router)
    app.include_router(identity_links.router)
    app.include_router(ep_documents.router)
    if settings.embedded_simulators:
        _mount_simulators(app)
    return app


def _mount_simulators(app: FastAPI) -> None:
    """The embedded default: each simulated source system under its own path prefix, reached by
    the adapters over real HTTP at the broker's own address."""
    from adapters.simulators import KINDS, create_simulator
    from adapters.simulators.common import SimulatorCredentials

    for kind in KINDS:
        app.mount(f"{SIMULATOR_PREFIX}/{kind}",
                  create_simulator(kind, SimulatorCredentials("broker", EMBEDDED_SIMULATOR_SECRET)))


def app_from_environment() -> FastAPI:
    """Entry point for ``uvicorn --factory``."""
    settings = Settings()
    configure_logging(settings.log_level)
    return create_app(settings)
