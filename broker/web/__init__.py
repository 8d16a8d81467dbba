"""The broker's web pages: GOV.UK Frontend templates, security headers, forms and page routers."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from broker.auth.sessions import install_sessions
from broker.platform.settings import Settings
from broker.web import (
    accounts,
    advice_status,
    case_officers,
    case_steps,
    casework,
    children,
    clock_exceptions,
    family,
    ig,
    pages,
)
from broker.web.assets import STATIC_DIR, VENDOR_DIR
from broker.web.forms import SameOriginFormsMiddleware
from broker.web.security import SecurityHeadersMiddleware, baseline_headers
from broker.web.templating import install_templates


def install_web(app: FastAPI, settings: Settings) -> None:
    """Templates, static files, sessions, form protection, security headers and the pages.

    Call before adding the outermost (request id) middleware: the middleware added here wraps
    the routes, in this order from the outside: security headers, session, same-origin forms.
    """
    install_templates(app)
    # The vendor folder is built by `make assets`; without it the pages still work, unstyled.
    app.mount("/assets", StaticFiles(directory=VENDOR_DIR, check_dir=False), name="assets")
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.add_middleware(SameOriginFormsMiddleware, public_url=settings.public_url)
    install_sessions(app, settings)
    app.state.security_headers = baseline_headers(settings)
    app.add_middleware(SecurityHeadersMiddleware, headers=app.state.security_headers)
    app.include_router(pages.router)
    app.include_router(children.router)
    app.include_router(ig.router)
    app.include_router(family.router)
    app.include_router(casework.router)
    app.include_router(advice_status.router)
    app.include_router(clock_exceptions.router)
    app.include_router(case_steps.router)
    app.include_router(case_officers.router)
    app.include_router(accounts.router)
