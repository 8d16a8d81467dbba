"""The pages' Jinja environment: our templates, GOV.UK Frontend's macros, and the layout's context.

The layout's header has two slots that sign-in fills: ``app.state.web_account`` (a function from
the request to the signed-in ``Account``, or ``None``) and ``app.state.sign_in_url`` (where the
"Sign in" link goes; no link while it is ``None``).  Until sign-in exists every visitor is
signed out and no link is shown.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.templating import Jinja2Templates
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PackageLoader, PrefixLoader, select_autoescape

from broker.settings import Settings
from broker.web.forms import form_token

SERVICE_NAME = "SEND information sharing"
TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"


@dataclass(frozen=True)
class Account:
    """Who is signed in, as the header shows it."""

    display_name: str
    sign_out_url: str


AccountResolver = Callable[[Request], Account | None]


def signed_out(request: Request) -> Account | None:
    """The account resolver until sign-in is installed: nobody is signed in."""
    return None


def current_account(request: Request) -> Account | None:
    resolver: AccountResolver = getattr(request.app.state, "web_account", signed_out)
    return resolver(request)


def _layout_context(request: Request) -> dict[str, Any]:
    settings: Settings = request.app.state.settings
    return {
        "service_name": SERVICE_NAME,
        "council_name": settings.council_name,
        "account": current_account(request),
        "sign_in_url": getattr(request.app.state, "sign_in_url", None),
        # A callable, so that only pages with a form start a session.
        "form_token": lambda: form_token(request),
    }


def build_templates() -> Jinja2Templates:
    """Our templates first, then GOV.UK Frontend's under the ``govuk_frontend_jinja/`` prefix."""
    environment = Environment(
        loader=ChoiceLoader([
            FileSystemLoader(str(TEMPLATES_DIR)),
            PrefixLoader({"govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja")}),
        ]),
        autoescape=select_autoescape(["html"], default_for_string=True),
    )
    return Jinja2Templates(env=environment, context_processors=[_layout_context])


def install_templates(app: FastAPI) -> None:
    app.state.templates = build_templates()
    app.state.web_account = signed_out
    app.state.sign_in_url = None
