"""Security headers on every response: a strict Content-Security-Policy and its companions.

The pages load scripts, styles, fonts and images from the broker itself only, with no inline
script or style.  The one inline script GOV.UK Frontend's page template needs (it marks the body
``js-enabled`` before anything paints) is allowed by its SHA-256 hash, computed from the installed
template at start-up so that an upgrade of the package cannot silently break or widen the policy.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterable
from importlib.resources import files
from urllib.parse import urlsplit

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from broker.platform.settings import Environment, Settings

_INLINE_SCRIPT = re.compile(r"<script[^>]*>(?P<body>.*?)</script>", re.DOTALL)
# Static files carry no personal data and change only with a release.
STATIC_PREFIXES = ("/assets/", "/static/")
HSTS = "max-age=31536000; includeSubDomains"


def govuk_template_script() -> str:
    """The text of the inline script in GOV.UK Frontend's page template, exactly as it renders."""
    template = files("govuk_frontend_jinja").joinpath("templates/template.html").read_text("utf-8")
    scripts = [m.group("body") for m in _INLINE_SCRIPT.finditer(template)]
    if len(scripts) != 1 or "{{" in scripts[0] or "{%" in scripts[0]:
        raise RuntimeError("GOV.UK Frontend's page template no longer has exactly one static inline script")
    return scripts[0]


def script_hash(script: str) -> str:
    """The CSP source expression that allows exactly this inline script."""
    digest = hashlib.sha256(script.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"


def content_security_policy(
    *, script_hashes: Iterable[str] = (), form_action: Iterable[str] = (), upgrade: bool = False,
) -> str:
    """The policy for the broker's pages: everything from this origin, nothing inline but hashes."""
    directives = {
        "default-src": ["'none'"],
        "script-src": ["'self'", *script_hashes],
        "style-src": ["'self'"],
        "img-src": ["'self'"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "manifest-src": ["'self'"],
        "form-action": ["'self'", *form_action],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'none'"],
        "object-src": ["'none'"],
    }
    policy = "; ".join(f"{name} {' '.join(values)}" for name, values in directives.items())
    return policy + ("; upgrade-insecure-requests" if upgrade else "")


def sign_in_origins(settings: Settings) -> list[str]:
    """The origins of the sign-in providers: signing out posts a form that is redirected to them."""
    origins = []
    for provider in settings.web_sign_in:
        parts = urlsplit(provider.discovery_url)
        if parts.scheme and parts.netloc:
            origins.append(f"{parts.scheme}://{parts.netloc}")
    return sorted(set(origins))


def baseline_headers(settings: Settings) -> dict[str, str]:
    """Headers every response carries (a response may set its own CSP or Cache-Control)."""
    headers = {
        "Content-Security-Policy": content_security_policy(
            script_hashes=[script_hash(govuk_template_script())],
            form_action=[*settings.form_action_origins, *sign_in_origins(settings)],
            upgrade=settings.is_production,
        ),
        "X-Frame-Options": "DENY",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Cross-Origin-Opener-Policy": "same-origin",
        "Cross-Origin-Resource-Policy": "same-origin",
        "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
    }
    # Browsers ignore HSTS over plain HTTP, but a developer's browser that once saw it over
    # HTTPS on localhost would refuse plain HTTP there for a year: never send it in development.
    if settings.environment is not Environment.development:
        headers["Strict-Transport-Security"] = HSTS
    return headers


class SecurityHeadersMiddleware:
    """Adds the baseline headers to every HTTP response and ``Cache-Control: no-store`` to all
    but static files: pages and API answers hold children's personal data, which must not stay
    in a shared computer's cache or a proxy."""

    def __init__(self, app: ASGIApp, headers: dict[str, str]) -> None:
        self.app = app
        self.headers = headers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        is_static = scope["path"].startswith(STATIC_PREFIXES)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in self.headers.items():
                    if name not in headers:
                        headers[name] = value
                if "cache-control" not in headers:
                    headers["Cache-Control"] = "public, max-age=3600" if is_static else "no-store"
            await send(message)

        await self.app(scope, receive, send_with_headers)
