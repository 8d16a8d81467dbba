"""The pages' Jinja environment: our templates, GOV.UK Frontend's macros, and the layout's context.

The header shows who is signed in (``broker.web.access.signed_in``) with a "Sign out" button
posting to ``app.state.sign_out_url``, or a "Sign in" link to ``app.state.sign_in_url`` (no link
while it is ``None``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.templating import Jinja2Templates
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PackageLoader, PrefixLoader, select_autoescape

from broker.audit_trail.catalogue import catalogued
from broker.auth.principal import Role
from broker.platform.settings import Settings
from broker.web.access import nobody_signed_in, signed_in
from broker.web.forms import form_token

SERVICE_NAME = "SEND information sharing"
TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"


# The service navigation: (label, path, roles that see it).
NAVIGATION = [
    ("Find a child", "/children/find", {Role.caseworker, Role.safeguarding_lead}),
    ("Assessments", "/assessments", {Role.caseworker}),
    ("Matches to check", "/identity-reviews", {Role.caseworker}),
    ("Your children", "/family", {Role.family}),
    ("Audit log", "/ig/audit", {Role.ig_auditor}),
    ("Integrity", "/ig/integrity", {Role.ig_auditor}),
    ("Break-glass reviews", "/ig/break-glass", {Role.ig_auditor}),
    ("Reports", "/ig/reports", {Role.ig_auditor}),
    ("Accounts", "/admin/accounts", {Role.admin}),
]


def _navigation(request: Request) -> list[dict[str, Any]]:
    principal = signed_in(request)
    if principal is None:
        return []
    return [
        {"text": label, "href": path, "current": request.url.path == path}
        for label, path, roles in NAVIGATION if principal.role in roles
    ]


def _layout_context(request: Request) -> dict[str, Any]:
    settings: Settings = request.app.state.settings
    return {
        "navigation": _navigation(request),
        "service_name": SERVICE_NAME,
        "council_name": settings.council_name,
        "account": signed_in(request),
        "sign_in_url": getattr(request.app.state, "sign_in_url", None),
        "sign_out_url": getattr(request.app.state, "sign_out_url", None),
        # A callable, so that only pages with a form start a session.
        "form_token": lambda: form_token(request),
    }


def event_label(event_type: str) -> str:
    """The catalogue's label for information governance, or the stored code if it has none."""
    known = catalogued(event_type)
    return known.ig if known else event_type


def build_templates() -> Jinja2Templates:
    """Our templates first, then GOV.UK Frontend's under the ``govuk_frontend_jinja/`` prefix."""
    environment = Environment(
        loader=ChoiceLoader([
            FileSystemLoader(str(TEMPLATES_DIR)),
            PrefixLoader({"govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja")}),
        ]),
        autoescape=select_autoescape(["html"], default_for_string=True),
    )
    environment.filters["sentence"] = lambda text: str(text)[:1].upper() + str(text)[1:]
    environment.filters["event_label"] = event_label
    return Jinja2Templates(env=environment, context_processors=[_layout_context])


def install_templates(app: FastAPI) -> None:
    app.state.templates = build_templates()
    app.state.web_principal = nobody_signed_in
    app.state.sign_in_url = None
    app.state.sign_out_url = None
