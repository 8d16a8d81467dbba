"""Pages for signing in and out, and the signed-in person's account page."""

from __future__ import annotations

import logging
from typing import Annotated

import httpx
from authlib.integrations.base_client import OAuthError
from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from broker.auth.principal import Principal, Role
from broker.auth.rate_limit import limit_sign_in
from broker.auth.sessions import end_session, require_web_roles, start_session
from broker.auth.sign_in import (
    AccountNotAvailable,
    ProviderAnswerInvalid,
    SignInProvider,
    account_for,
    callback_url,
    end_session_url,
    is_safe_next,
    signed_in_claims,
)
from broker.platform.db import SessionDep
from broker.platform.errors import Forbidden, InvalidInput, NotFound, ServiceUnavailable
from broker.web.forms import VerifiedForm

log = logging.getLogger(__name__)

router = APIRouter(tags=["sign in"], include_in_schema=False)
SignedIn = Annotated[Principal, Depends(require_web_roles(*Role))]
RateLimited = Depends(limit_sign_in)
NEXT_KEY = "next"
PROVIDER_KEY = "provider"
PROVIDER_UNREACHABLE = "The sign-in service cannot be reached just now. Please try again in a few minutes."


def _provider_named(request: Request, name: object) -> SignInProvider | None:
    for provider in request.app.state.sign_in_providers:
        if provider.name == name:
            return provider
    return None


def _provider(request: Request, name: str) -> SignInProvider:
    provider = _provider_named(request, name)
    if provider is None:
        raise NotFound("There is no such way to sign in.")
    return provider


@router.get("/sign-in")
def sign_in_page(request: Request, next: str | None = None) -> Response:
    """Choose how to sign in: the council's staff directory or the citizen identity service."""
    return request.app.state.templates.TemplateResponse(
        request, "auth/sign_in.html",
        {"providers": request.app.state.sign_in_providers, "next": next if is_safe_next(next) else None},
    )


@router.get("/sign-in/{provider_name}", dependencies=[RateLimited])
async def start_sign_in(request: Request, provider_name: str, next: str | None = None) -> Response:
    """Send the browser to the identity provider, with PKCE, a state and a nonce."""
    provider = _provider(request, provider_name)
    if is_safe_next(next):
        request.session[NEXT_KEY] = next
    client = request.app.state.oauth.create_client(provider.name)
    try:
        return await client.authorize_redirect(request, callback_url(request.app.state.settings, provider))
    except httpx.HTTPError as exc:
        log.warning("identity provider unreachable", extra={"provider": provider.name, "error_type": type(exc).__name__})
        raise ServiceUnavailable(PROVIDER_UNREACHABLE) from None


@router.get("/auth/callback/{provider_name}", dependencies=[RateLimited])
async def finish_sign_in(request: Request, provider_name: str, session: SessionDep) -> Response:
    """Exchange the authorization code (with the PKCE verifier), verify the ID token and its
    nonce, find the person's account and start a fresh session."""
    provider = _provider(request, provider_name)
    client = request.app.state.oauth.create_client(provider.name)
    try:
        token = await client.authorize_access_token(request)
    except OAuthError as exc:
        log.info("sign-in failed", extra={"provider": provider.name, "oauth_error": exc.error})
        raise InvalidInput("Signing in did not complete. Go back to the sign-in page and try again.") from None
    except httpx.HTTPError as exc:
        log.warning("identity provider unreachable", extra={"provider": provider.name, "error_type": type(exc).__name__})
        raise ServiceUnavailable(PROVIDER_UNREACHABLE) from None
    try:
        claims = await signed_in_claims(client, token, provider)
    except ProviderAnswerInvalid as exc:
        log.warning("sign-in failed: %s", exc, extra={"provider": provider.name})
        raise ServiceUnavailable(PROVIDER_UNREACHABLE) from None
    if not claims:
        raise InvalidInput("The identity provider did not say who you are. Try signing in again.")
    try:
        user = account_for(session, provider, claims)
    except AccountNotAvailable as refused:
        raise Forbidden(
            "You signed in, but there is no account for you on this service that this sign-in may use "
            f"({refused.reason}). Contact the council's SEN team if you think there should be."
        ) from None
    target = request.session.get(NEXT_KEY)
    start_session(request, session, user)
    request.session[PROVIDER_KEY] = provider.name
    log.info("signed in", extra={"provider": provider.name, "user_id": str(user.id)})
    return RedirectResponse(target if is_safe_next(target) else "/account", status_code=303)


@router.post("/sign-out")
def sign_out(request: Request, form: VerifiedForm, session: SessionDep) -> Response:
    """End this browser's session, then the identity provider's where it offers that (so that
    the next person at a shared computer is asked to sign in afresh)."""
    provider = _provider_named(request, request.session.get(PROVIDER_KEY))
    end_session(request, session)
    target = end_session_url(request.app.state.settings, provider, request.app.state.discovery)
    return RedirectResponse(target or "/signed-out", status_code=303)


@router.get("/signed-out")
def signed_out(request: Request) -> Response:
    """Confirmation that the session has ended."""
    return request.app.state.templates.TemplateResponse(request, "auth/signed_out.html", {})


@router.get("/account")
def account(request: Request, principal: SignedIn) -> Response:
    """Who is signed in, with a button to sign out."""
    return request.app.state.templates.TemplateResponse(
        request, "auth/account.html", {"principal": principal}
    )
