"""Protection against cross-site request forgery for every state-changing form.

Two independent checks, both required:

1. Where the browser says where the request came from, it must be this service: ``Sec-Fetch-Site``
   must be ``same-origin`` (or ``none``: typed by the person), else ``Origin`` must be this
   service's own origin (``BROKER_PUBLIC_URL``).
2. The form carries a ``csrf_token`` field: this browser's session id signed with the secret key
   (itsdangerous, salted for this use), no older than the session lifetime.  A token from another
   browser, another session or another service does not match.

Pages put ``csrf_token(request)`` in a hidden field; routers that take form posts declare
``dependencies=[CsrfProtected]`` (or ``Depends(require_csrf)`` on a single route).  API routes
authenticated by bearer tokens need neither: browsers never send those tokens by themselves.
"""

from __future__ import annotations

import hmac
from urllib.parse import urlsplit

from fastapi import Depends, Request
from itsdangerous import BadData, URLSafeTimedSerializer

from broker.auth.sessions import session_id
from broker.errors import Forbidden
from broker.settings import Settings

FIELD_NAME = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
_SALT = "csrf-form-token"


class CsrfRefused(Forbidden):
    title = "This form could not be accepted"


def _serializer(settings: Settings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.secret_key.get_secret_value(), salt=_SALT)


def own_origin(settings: Settings) -> str:
    parts = urlsplit(settings.public_url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def csrf_token(request: Request) -> str:
    """The token this browser's forms carry in a hidden ``csrf_token`` field."""
    return csrf_token_for(request.app.state.settings, session_id(request))


def csrf_token_for(settings: Settings, sid: str) -> str:
    """The form token for the session ``sid``."""
    return _serializer(settings).dumps(sid)


def request_from_elsewhere(request: Request, settings: Settings) -> bool:
    """True when the browser says the request was made by another site."""
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None:
        return fetch_site not in ("same-origin", "none")
    origin = request.headers.get("origin")
    if origin is not None:
        return origin.lower() != own_origin(settings)
    return False


def token_matches(request: Request, token: str | None) -> bool:
    settings: Settings = request.app.state.settings
    sid = request.session.get("sid")
    if not token or not sid:
        return False
    try:
        signed_sid = _serializer(settings).loads(token, max_age=settings.session_max_age_seconds)
    except BadData:
        return False
    return isinstance(signed_sid, str) and hmac.compare_digest(signed_sid, sid)


async def require_csrf(request: Request) -> None:
    """Refuse (403) a state-changing request that is cross-site or lacks this session's token."""
    if request.method in SAFE_METHODS:
        return
    settings: Settings = request.app.state.settings
    message = "Go back to the previous page, reload it and try again."
    if request_from_elsewhere(request, settings):
        raise CsrfRefused("The form was sent from another website. " + message)
    form = await request.form()
    token = form.get(FIELD_NAME)
    if not token_matches(request, token if isinstance(token, str) else None):
        raise CsrfRefused("The form has expired or did not come from this service. " + message)


CsrfProtected = Depends(require_csrf)
