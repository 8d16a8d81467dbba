"""The toolkit every form page uses: protection against cross-site requests, and errors shown
the way the GOV.UK Design System prescribes (an error summary at the top linking to each field,
and the message again at the field).

Two independent checks refuse a forged form post:

* ``SameOriginFormsMiddleware`` refuses any state-changing request to a page (not ``/api``, whose
  callers send bearer tokens, never cookies) that the browser says came from another site
  (``Sec-Fetch-Site``; from browsers too old to send it, an ``Origin`` that is not the broker's).
* ``VerifiedForm`` (a route dependency) reads the posted form and refuses it unless it carries a
  form token: a random value kept in the visitor's signed session, signed again with
  ``Settings.secret_key`` and time-limited, which a page on another site cannot read.
"""

from __future__ import annotations

import hmac
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse
from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.datastructures import FormData
from starlette.types import ASGIApp, Receive, Scope, Send

from broker.platform.clock import council_today
from broker.platform.errors import Forbidden, problem_response

FORM_TOKEN_FIELD = "form_token"  # nosec B105  # the name of a form field, not a secret
_SESSION_KEY = "form_key"
_SALT = "broker.web.form-token"
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
# Callers of these authenticate with bearer tokens or client credentials, never a cookie, so a
# forged cross-site request carries nothing to abuse.
_EXEMPT_PREFIXES = ("/api/", "/oidc/")


class FormRefused(Forbidden):
    title = "This form could not be sent"

    def __init__(self) -> None:
        super().__init__(
            "For your security, a form must be sent from this service's own page, and within a few "
            "hours of opening it. Go back, reload the page and try again."
        )


def _serializer(request: Request) -> URLSafeTimedSerializer:
    secret = request.app.state.settings.secret_key.get_secret_value()
    return URLSafeTimedSerializer(secret, salt=_SALT)


def form_token(request: Request) -> str:
    """The token to put in a form on this page, tied to the visitor's session."""
    key = request.session.get(_SESSION_KEY)
    if not isinstance(key, str):
        key = secrets.token_urlsafe(32)
        request.session[_SESSION_KEY] = key
    return _serializer(request).dumps(key)


def verify_form_token(request: Request, token: str | None) -> None:
    """Raise ``FormRefused`` unless ``token`` was issued to this session and has not expired."""
    expected = request.session.get(_SESSION_KEY)
    if not token or not isinstance(expected, str):
        raise FormRefused()
    max_age = request.app.state.settings.session_max_age_seconds
    try:
        key = _serializer(request).loads(token, max_age=max_age)
    except BadSignature:
        raise FormRefused() from None
    if not isinstance(key, str) or not hmac.compare_digest(key, expected):
        raise FormRefused()


async def verified_form(request: Request) -> FormData:
    """The posted form, once its token is verified (use as ``form: VerifiedForm``)."""
    form = await request.form()
    token = form.get(FORM_TOKEN_FIELD)
    verify_form_token(request, token if isinstance(token, str) else None)
    return form


VerifiedForm = Annotated[FormData, Depends(verified_form)]


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


class SameOriginFormsMiddleware:
    """Refuses state-changing page requests that a browser says came from somewhere else."""

    def __init__(self, app: ASGIApp, public_url: str) -> None:
        self.app = app
        self.public_origin = _origin(public_url)

    def _is_cross_site(self, scope: Scope) -> bool:
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope.get("headers") or []}
        fetch_site = headers.get("sec-fetch-site")
        if fetch_site is not None:
            return fetch_site not in ("same-origin", "none")
        origin = headers.get("origin")
        # Under "Referrer-Policy: no-referrer" browsers send "Origin: null" even from our own
        # pages; it proves nothing either way, so the form token decides.
        if origin is None or origin == "null":
            return False
        own_origin = f"{scope.get('scheme', 'http')}://{headers.get('host', '')}".lower()
        return origin.lower() not in (self.public_origin, own_origin)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["method"] not in _SAFE_METHODS
            and not scope["path"].startswith(_EXEMPT_PREFIXES)
            and self._is_cross_site(scope)
        ):
            refusal = FormRefused()
            response = problem_response(Request(scope), refusal.status, refusal.title, refusal.detail)
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


# --- Errors as the design system shows them -------------------------------------------------

_DATE_PARTS = ("day", "month", "year")
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str
    anchor: str
    parts: tuple[str, ...] = ()


@dataclass
class FormState:
    """A form's submitted values and its errors, in the order the fields appear on the page."""

    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, FieldError] = field(default_factory=dict)

    @classmethod
    def from_form(cls, form: Mapping[str, Any]) -> FormState:
        return cls({k: v for k, v in form.items() if isinstance(v, str) and k != FORM_TOKEN_FIELD})

    def value(self, name: str) -> str:
        return self.values.get(name, "")

    def add_error(self, name: str, message: str, *, anchor: str | None = None, parts: tuple[str, ...] = ()) -> None:
        """Record the first error of a field (one message per field, as the design system asks)."""
        self.errors.setdefault(name, FieldError(name, message, anchor or name, parts))

    @property
    def has_errors(self) -> bool:
        return bool(self.errors)

    def error_message(self, name: str) -> dict[str, str] | None:
        """The ``errorMessage`` option of a GOV.UK Frontend macro for this field."""
        error = self.errors.get(name)
        return {"text": error.message} if error else None

    def error_list(self) -> list[dict[str, str]]:
        """The ``errorList`` option of the error summary: each message links to its field."""
        return [{"text": e.message, "href": f"#{e.anchor}"} for e in self.errors.values()]

    # -- reading fields ------------------------------------------------------------------

    def read_text(self, name: str, *, missing: str | None = None, max_length: int = 200,
                  too_long: str | None = None) -> str:
        """The field's text with runs of spaces collapsed; records an error if required and empty."""
        text = _SPACES.sub(" ", self.value(name)).strip()
        self.values[name] = text
        if not text and missing:
            self.add_error(name, missing)
        elif len(text) > max_length:
            self.add_error(name, too_long or f"Must be {max_length} characters or fewer")
        return text

    def read_date(self, name: str, *, label: str, required: bool = True, past: bool = True) -> date | None:
        """A GOV.UK date input (``name-day``, ``name-month``, ``name-year``) as a date, with the
        design system's messages: what is missing, a real date, and in the past."""
        raw = {part: self.value(f"{name}-{part}").strip() for part in _DATE_PARTS}
        for part, value in raw.items():
            self.values[f"{name}-{part}"] = value
        missing = tuple(p for p in _DATE_PARTS if not raw[p])
        if len(missing) == 3:
            if required:
                self.add_error(name, f"Enter {label.lower()}", anchor=f"{name}-day", parts=_DATE_PARTS)
            return None
        if missing:
            described = " and ".join(f"a {p}" if i == 0 else p for i, p in enumerate(missing))
            self.add_error(name, f"{label} must include {described}", anchor=f"{name}-{missing[0]}", parts=missing)
            return None
        try:
            day, month, year = (int(raw[p]) for p in _DATE_PARTS)
            if year < 1000:
                raise ValueError
            parsed = date(year, month, day)
        except ValueError:
            self.add_error(name, f"{label} must be a real date", anchor=f"{name}-day", parts=_DATE_PARTS)
            return None
        if past and parsed >= council_today():
            self.add_error(name, f"{label} must be in the past", anchor=f"{name}-day", parts=_DATE_PARTS)
            return None
        return parsed

    def date_items(self, name: str) -> list[dict[str, str]]:
        """The ``items`` option of ``govukDateInput``: values kept, wrong parts marked."""
        error = self.errors.get(name)
        items = []
        for part in _DATE_PARTS:
            width = "govuk-input--width-4" if part == "year" else "govuk-input--width-2"
            wrong = error is not None and part in error.parts
            items.append({
                "name": part,
                "classes": width + (" govuk-input--error" if wrong else ""),
                "value": self.value(f"{name}-{part}"),
            })
        return items


def render_form_page(
    request: Request, template: str, form: FormState, context: Mapping[str, Any] | None = None,
    *, status_code: int | None = None,
) -> HTMLResponse:
    """Render a page with a form; a form with errors answers 422 and the page title says "Error:"."""
    status = status_code or (422 if form.has_errors else 200)
    return request.app.state.templates.TemplateResponse(
        request, template, {"form": form, **(context or {})}, status_code=status
    )
