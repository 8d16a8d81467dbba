"""The development OpenID Connect provider, over HTTP at ``/dev-idp`` (development and test only).

It stands in for the council's staff directory and the citizen identity service: a discovery
document, its JWKS, an authorization endpoint whose login page lists the demo accounts (no
passwords in development), a token endpoint (authorization code with PKCE S256; client
credentials for machine clients) and userinfo.  ``create_app`` mounts it only where
``provider_allowed(settings)``; the functions behind it refuse to work anywhere else.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from typing import Any
from urllib.parse import unquote, urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy import select

from broker.accounts.models import User
from broker.auth.principal import Role
from broker.auth.rate_limit import limit_sign_in
from broker.auth.tokens import InvalidToken
from broker.dev.identity_keys import (
    DEFAULT_TTL_SECONDS,
    DEV_ISSUER_PATH,
    GrantRefused,
    check_authorization_request,
    check_client,
    dev_issuer_url,
    dev_jwks,
    discovery_document,
    issue_authorization_code,
    issue_dev_token,
    issue_id_token,
    redeem_authorization_code,
)
from broker.platform.db import SessionDep
from broker.platform.settings import Settings
from broker.web.forms import VerifiedForm

router = APIRouter(prefix=DEV_ISSUER_PATH, tags=["development identity provider"], include_in_schema=False)

AUTHORIZE_PARAMS = (
    "response_type", "client_id", "redirect_uri", "scope", "state", "nonce", "code_challenge",
    "code_challenge_method",
)
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
RateLimited = Depends(limit_sign_in)


def _oauth_error(refused: GrantRefused) -> JSONResponse:
    headers = dict(NO_STORE)
    if refused.status == 401:
        headers["WWW-Authenticate"] = 'Basic realm="dev-idp"'
    return JSONResponse(
        {"error": refused.error, "error_description": refused.description}, status_code=refused.status,
        headers=headers,
    )


@router.get("/.well-known/openid-configuration")
def openid_configuration(request: Request) -> dict[str, Any]:
    """OpenID Connect discovery document of the development provider."""
    return discovery_document(request.app.state.settings)


@router.get("/jwks")
def jwks(request: Request) -> dict[str, Any]:
    """The public key that signs the development provider's tokens."""
    return dev_jwks(request.app.state.settings)


def _login_page(request: Request, session: SessionDep, params: dict[str, str], status: int = 200) -> Response:
    users = session.scalars(select(User).where(User.role != Role.system.value).order_by(User.role, User.username)).all()
    return request.app.state.templates.TemplateResponse(
        request, "auth/dev_login.html",
        {
            "params": params,
            "families": [u for u in users if u.role == Role.family.value],
            "staff": [u for u in users if u.role != Role.family.value],
        },
        status_code=status, headers=NO_STORE,
    )


def _refusal_page(request: Request, refused: GrantRefused) -> Response:
    return request.app.state.templates.TemplateResponse(
        request, "error.html",
        {"problem": {"title": "This sign-in request cannot be used", "detail": refused.description, "status": 400,
                     "request_id": None}},
        status_code=400, headers=NO_STORE,
    )


@router.get("/authorize", dependencies=[RateLimited])
def authorize(request: Request, session: SessionDep) -> Response:
    """The login page: pick a demo account to sign in as."""
    params = {name: request.query_params.get(name, "") for name in AUTHORIZE_PARAMS}
    try:
        check_authorization_request(request.app.state.settings, params)
    except GrantRefused as refused:
        return _refusal_page(request, refused)
    return _login_page(request, session, params)


@router.post("/authorize", dependencies=[RateLimited])
def approve(request: Request, form: VerifiedForm, session: SessionDep) -> Response:
    """Sign in as the chosen demo account and go back to the client with an authorization code."""
    settings = request.app.state.settings
    params = {name: str(form.get(name, "")) for name in AUTHORIZE_PARAMS}
    try:
        check_authorization_request(settings, params)
    except GrantRefused as refused:
        return _refusal_page(request, refused)
    user = session.scalars(
        select(User).where(User.username == str(form.get("username", "")), User.role != Role.system.value)
    ).one_or_none()
    if user is None:
        return _login_page(request, session, params, status=422)
    code = issue_authorization_code(settings, user, params)
    query = urlencode({"code": code, "state": params["state"], "iss": dev_issuer_url(settings)})
    return RedirectResponse(f"{params['redirect_uri']}?{query}", status_code=303, headers=NO_STORE)


def _client_credentials(request: Request, form: dict[str, str]) -> tuple[str | None, str | None]:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "basic" and value:
        try:
            client_id, _, secret = base64.b64decode(value, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None, None
        return unquote(client_id), unquote(secret)
    return form.get("client_id"), form.get("client_secret")


@router.post("/token", dependencies=[RateLimited])
async def token(request: Request, session: SessionDep) -> Response:
    """Token endpoint: ``authorization_code`` (with PKCE) for the web client, ``client_credentials``
    for machine clients (source systems; their client id is their account's username)."""
    settings = request.app.state.settings
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    try:
        client_id = check_client(settings, *_client_credentials(request, form))
        grant_type = form.get("grant_type")
        if grant_type == "authorization_code":
            body = _exchange_code(request, session, client_id, form)
        elif grant_type == "client_credentials":
            body = _machine_token(session, settings, client_id)
        else:
            raise GrantRefused("unsupported_grant_type", "use authorization_code or client_credentials")
    except GrantRefused as refused:
        return _oauth_error(refused)
    return JSONResponse(body, headers=NO_STORE)


def _exchange_code(request: Request, session: SessionDep, client_id: str, form: dict[str, str]) -> dict[str, Any]:
    settings = request.app.state.settings
    grant = redeem_authorization_code(
        settings, request.app.state.dev_redeemed_codes, code=form.get("code", ""), client_id=client_id,
        redirect_uri=form.get("redirect_uri"), code_verifier=form.get("code_verifier"),
    )
    user = session.get(User, uuid.UUID(grant["user_id"]))
    if user is None:
        raise GrantRefused("invalid_grant", "the account no longer exists")
    return {
        "access_token": issue_dev_token(settings, user),
        "token_type": "Bearer",  # nosec B105  # the OAuth token type, not a secret
        "expires_in": DEFAULT_TTL_SECONDS,
        "scope": grant["scope"],
        "id_token": issue_id_token(settings, user, client_id=client_id, nonce=grant["nonce"]),
    }


def _machine_token(session: SessionDep, settings: Settings, client_id: str) -> dict[str, Any]:
    user = session.scalars(
        select(User).where(User.username == client_id, User.role == Role.system.value)
    ).one_or_none()
    if user is None:
        raise GrantRefused("unauthorized_client", "this client may not use the client_credentials grant")
    return {
        "access_token": issue_dev_token(settings, user, extra_claims={"client_id": client_id}),
        "token_type": "Bearer",  # nosec B105  # the OAuth token type, not a secret
        "expires_in": DEFAULT_TTL_SECONDS,
    }


@router.api_route("/userinfo", methods=["GET", "POST"])
def userinfo(request: Request, session: SessionDep) -> Response:
    """Claims about the person an access token from this provider belongs to."""
    settings = request.app.state.settings
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    challenge = {"WWW-Authenticate": 'Bearer error="invalid_token"', **NO_STORE}
    try:
        if scheme.lower() != "bearer" or not value:
            raise InvalidToken("no bearer token")
        config, claims = request.app.state.token_verifier.verify(value.strip())
        if config.issuer != dev_issuer_url(settings):
            raise InvalidToken("not a token of this provider")
        user = session.get(User, uuid.UUID(str(claims["sub"])))
    except (InvalidToken, ValueError):
        user = None
    if user is None:
        return JSONResponse({"error": "invalid_token"}, status_code=401, headers=challenge)
    return JSONResponse(
        {"sub": str(user.id), "preferred_username": user.username, "name": user.display_name}, headers=NO_STORE
    )

