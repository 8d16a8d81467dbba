"""The FastAPI application, built by ``create_app(settings)``: no module-level app or engine."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from adapters.errors import AdapterError
from audit.errors import AuditError
from broker.api import (
    accounts,
    assessments,
    break_glass,
    consents,
    ep_documents,
    gathering,
    health,
    identity_links,
    me,
    subjects,
)
from broker.api import audit as audit_api
from broker.api import subject_access as subject_access_api
from broker.audit_trail import auditing
from broker.audit_trail.refusals import audit_refusal
from broker.auth.dependencies import build_token_verifier
from broker.auth.discovery import DiscoveryDocuments
from broker.auth.rate_limit import RateLimiter
from broker.auth.sessions import install_sign_in
from broker.auth.sign_in import build_oauth, sign_in_providers
from broker.dev import identity_provider as dev_identity_provider
from broker.dev.identity_keys import RedeemedCodes, provider_allowed
from broker.identity.sources import SIMULATOR_PREFIX, build_registry
from broker.platform.db import Database
from broker.platform.errors import install_error_handlers
from broker.platform.logging import RequestContextMiddleware, configure_logging
from broker.platform.migrate import script_heads
from broker.platform.request_limits import install_request_limits
from broker.platform.settings import EMBEDDED_SIMULATOR_SECRET, Settings
from broker.records.encryption.documents import PaperDocumentSealer
from broker.records.encryption.service import RecordEncryption
from broker.web import install_web, sign_in
from broker.web.docs import install_api_docs
from consent.errors import ConsentError


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
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/openapi.json",
        servers=[{"url": "/", "description": "This broker (its public address: BROKER_PUBLIC_URL)"}],
        license_info={"name": "MIT", "identifier": "MIT"},
    )
    app.state.settings = settings
    app.state.database = database
    app.state.record_encryption = RecordEncryption.from_settings(settings)
    app.state.migration_heads = script_heads()
    app.state.discovery = DiscoveryDocuments()
    app.state.token_verifier = build_token_verifier(settings, app.state.discovery)
    app.state.adapters = build_registry(settings, database.sessions, PaperDocumentSealer(app.state.record_encryption))
    app.state.oauth = build_oauth(settings)
    app.state.sign_in_providers = sign_in_providers(settings)
    app.state.sign_in_limiter = RateLimiter(settings.sign_in_rate_limit_per_minute)

    install_error_handlers(app, domain_roots=(ConsentError, AuditError, AdapterError), on_refusal=audit_refusal)
    install_request_limits(app, settings)
    install_web(app, settings)
    install_sign_in(app)
    app.add_middleware(RequestContextMiddleware)
    app.include_router(health.router)
    app.include_router(me.router)
    app.include_router(accounts.router)
    app.include_router(subjects.router)
    app.include_router(sign_in.router)
    app.include_router(consents.router)
    app.include_router(consents.well_known)
    app.include_router(audit_api.router)
    app.include_router(audit_api.subjects_router)
    app.include_router(identity_links.router)
    app.include_router(ep_documents.router)
    if provider_allowed(settings):
        app.state.dev_redeemed_codes = RedeemedCodes()
        app.include_router(dev_identity_provider.router)
    if settings.embedded_simulators:
        _mount_simulators(app)
    app.include_router(assessments.router)
    app.include_router(break_glass.router)
    app.include_router(gathering.router)
    app.include_router(subject_access_api.router)
    install_api_docs(app)
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
