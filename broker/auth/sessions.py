"""Web sessions: a signed cookie that holds the broker user id and a session id, nothing else
(besides the random key form tokens are made from, ``broker.web.forms``, and the name of the
sign-in provider used, so that signing out can end that provider's session too).

Each signed-in session also has a ``web_sessions`` row (keyed by a hash of the session id) so
that signing out ends it on the server too: a copy of the cookie taken before is worthless.

The cookie is HttpOnly, SameSite=Lax and, outside development, Secure.  It is signed with the
secret key (itsdangerous, through Starlette's ``SessionMiddleware``); it is not encrypted, which
is why it never holds names, roles or anything else about the person.  While a sign-in is under
way it also holds Authlib's state, nonce and PKCE verifier for that sign-in, which are cleared
when the sign-in completes.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from datetime import timedelta
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.middleware.sessions import SessionMiddleware

from broker.accounts.models import User, WebSession
from broker.auth.dependencies import AccountUnusable, admit, principal_for
from broker.auth.principal import Principal, Role
from broker.auth.repository import add_web_session, web_session_by_hash
from broker.platform.db import SessionDep
from broker.platform.errors import Unauthenticated
from broker.platform.settings import Settings
from consent.models import utcnow

SESSION_COOKIE = "broker_session"
SIGN_IN_PATH = "/sign-in"


class SignInRequired(Unauthenticated):
    """A page needs a signed-in person; the browser is sent to the sign-in page."""

    title = "Sign in required"


def install_sessions(app: FastAPI, settings: Settings) -> None:
    """Add the session cookie middleware."""
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.secret_key.get_secret_value(),
        session_cookie=SESSION_COOKIE,
        max_age=settings.session_max_age_seconds,
        same_site="lax",
        https_only=not settings.is_development,
    )


def install_sign_in(app: FastAPI) -> None:
    """Send signed-out visitors of pages to sign in, and show who is signed in in the header."""

    def page_principal(request: Request) -> Principal | None:
        if not request.session.get("user_id"):
            return None
        with request.app.state.database.unit_of_work() as session:
            return signed_in_principal(request, session)

    app.state.web_principal = page_principal
    app.state.sign_in_url = SIGN_IN_PATH
    app.state.sign_out_url = "/sign-out"

    @app.exception_handler(SignInRequired)
    async def _send_to_sign_in(request: Request, exc: SignInRequired) -> Response:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"{SIGN_IN_PATH}?{urlencode({'next': target})}", status_code=303)


def _hash(sid: str) -> str:
    return hashlib.sha256(sid.encode()).hexdigest()


def open_web_session(session: Session, user: User, settings: Settings) -> str:
    """Record a new signed-in session for ``user``; return its session id (for the cookie only)."""
    sid = secrets.token_urlsafe(24)
    now = utcnow()
    add_web_session(session, WebSession(
        sid_hash=_hash(sid), user_id=user.id, created_at=now,
        expires_at=now + timedelta(seconds=settings.session_max_age_seconds),
    ))
    return sid


def start_session(request: Request, session: Session, user: User) -> None:
    """Sign ``user`` in: a fresh session (a new session id, nothing carried over from before)."""
    sid = open_web_session(session, user, request.app.state.settings)
    request.session.clear()
    request.session.update({"user_id": str(user.id), "sid": sid})


def end_session(request: Request, session: Session) -> None:
    """Sign out: end the session on the server and empty the cookie."""
    sid = request.session.get("sid")
    if isinstance(sid, str) and sid:
        row = web_session_by_hash(session, _hash(sid))
        if row is not None and row.ended_at is None:
            row.ended_at = utcnow()
            session.flush()
    request.session.clear()


def session_id(request: Request) -> str:
    """This browser's session id, made on first use (forms shown before sign-in need one too)."""
    sid = request.session.get("sid")
    if not isinstance(sid, str) or not sid:
        sid = secrets.token_urlsafe(18)
        request.session["sid"] = sid
    return sid


def signed_in_principal(request: Request, session: Session) -> Principal | None:
    """The person signed in through this browser's session cookie, or None."""
    cached = getattr(request.state, "web_principal", None)
    if cached is not None:
        return cached
    raw, sid = request.session.get("user_id"), request.session.get("sid")
    if not raw or not isinstance(sid, str):
        return None
    row = web_session_by_hash(session, _hash(sid))
    live = row is not None and row.ended_at is None and row.expires_at > utcnow() and str(row.user_id) == str(raw)
    user = session.get(User, row.user_id) if live and row is not None else None
    try:
        principal = principal_for(user, None) if user is not None else None
    except AccountUnusable:
        principal = None
    if principal is None:
        request.session.clear()
        return None
    request.state.web_principal = principal
    return principal


def require_web_roles(*roles: Role) -> Callable[..., Principal]:
    """For pages: the signed-in person if their role is one of ``roles`` (403 otherwise);
    a visitor who is not signed in is sent to the sign-in page and brought back after."""
    admitted = frozenset(roles)

    def dependency(request: Request, session: SessionDep) -> Principal:
        principal = signed_in_principal(request, session)
        if principal is None:
            raise SignInRequired("Sign in to see this page.")
        return admit(principal, admitted)

    dependency.__doc__ = "Admits: " + ", ".join(sorted(r.value for r in admitted)) + "."
    dependency.admitted_roles = admitted  # type: ignore[attr-defined]
    return dependency
