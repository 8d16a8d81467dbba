"""Web sign-in: the OpenID Connect authorization code flow with PKCE, through Authlib's Starlette client.

Staff sign in through the council's staff directory and families through the citizen identity
service (``BROKER_WEB_SIGN_IN``); in development and test, through the development provider at
``/dev-idp``.  Each provider signs in only the accounts it is trusted for: a family account
cannot be reached through the staff directory, nor a staff account through the citizen service.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, TypeGuard
from urllib.parse import urlencode

import httpx
from authlib.integrations.starlette_client import OAuth, StarletteOAuth2App
from sqlalchemy.orm import Session

from broker.accounts.models import User
from broker.auth.dependencies import find_user
from broker.auth.discovery import DiscoveryDocuments, DiscoveryFailed
from broker.auth.principal import STAFF_ROLES, Role
from broker.auth.tokens import IssuerConfig
from broker.dev.identity_keys import (
    DEV_ISSUER_PATH,
    WEB_CALLBACK_PATH,
    WEB_CLIENT_ID,
    dev_client_secret,
    dev_issuer_url,
    provider_allowed,
)
from broker.platform.settings import Settings, SignInAudience

log = logging.getLogger(__name__)

CALLBACK_PREFIX = WEB_CALLBACK_PATH.rsplit("/", 1)[0]
_ROLES_BY_AUDIENCE = {
    SignInAudience.staff: STAFF_ROLES,
    SignInAudience.families: frozenset({Role.family}),
}


@dataclass(frozen=True)
class SignInProvider:
    """One identity provider people sign in to the pages with, and whose accounts it may sign in."""

    name: str
    label: str
    roles: frozenset[Role]
    username_claim: str | None
    development: bool = False
    discovery_url: str | None = None
    client_id: str | None = None


def sign_in_providers(settings: Settings) -> list[SignInProvider]:
    providers = [
        SignInProvider(
            name=p.audience.value,
            label=p.label or ("Council staff" if p.audience is SignInAudience.staff else "Parents and young people"),
            roles=_ROLES_BY_AUDIENCE[p.audience], username_claim=p.username_claim,
            discovery_url=p.discovery_url, client_id=p.client_id,
        )
        for p in settings.web_sign_in
    ]
    if provider_allowed(settings):
        providers.append(SignInProvider(
            name="development", label="Demo accounts (development identity provider)",
            roles=frozenset(Role) - {Role.system}, username_claim=None, development=True,
        ))
    return providers


def build_oauth(settings: Settings) -> OAuth:
    """Authlib's client registry: one OpenID Connect client per sign-in provider, PKCE with S256."""
    oauth = OAuth()
    for provider in settings.web_sign_in:
        oauth.register(
            provider.audience.value, client_id=provider.client_id,
            client_secret=provider.client_secret.get_secret_value(),
            server_metadata_url=provider.discovery_url,
            client_kwargs={"scope": provider.scope, "code_challenge_method": "S256"},
        )
    if provider_allowed(settings):
        oauth.register(
            "development", client_id=WEB_CLIENT_ID, client_secret=dev_client_secret(settings, WEB_CLIENT_ID),
            server_metadata_url=dev_issuer_url(settings) + "/.well-known/openid-configuration",
            client_kwargs={"scope": "openid profile", "code_challenge_method": "S256"},
        )
    return oauth


def callback_url(settings: Settings, provider: SignInProvider) -> str:
    return f"{settings.public_url.rstrip('/')}{CALLBACK_PREFIX}/{provider.name}"


class AccountNotAvailable(Exception):
    """The identity provider vouched for someone who has no account here it may sign in.

    ``reason`` says why in words fit for the log and the page: which claim was looked for, or
    that the account is disabled; never the claim's value.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class ProviderAnswerInvalid(Exception):
    """The provider's UserInfo answer cannot be used (unreachable, or about someone else)."""


async def signed_in_claims(client: StarletteOAuth2App, token: dict[str, Any], provider: SignInProvider) -> dict[str, Any]:
    """The claims about the person who signed in: the verified ID token's, completed from the
    provider's UserInfo endpoint when the username claim is not in the ID token.

    A conformant provider puts only ``iss``, ``sub``, ``aud``, ``exp``, ``iat`` and the ``nonce``
    in an ID token when it also issues an access token, and gives the rest at UserInfo (OpenID
    Connect Core 5.4).  UserInfo's ``sub`` must be the ID token's (5.3.2); the ID token's own
    claims are kept over UserInfo's.
    """
    claims = dict(token.get("userinfo") or {})
    claim = provider.username_claim
    if not claims or provider.development or not claim or claim in claims:
        return claims
    try:
        userinfo = dict(await client.userinfo(token=token))
    except (httpx.HTTPError, ValueError) as exc:
        raise ProviderAnswerInvalid(f"UserInfo could not be read ({type(exc).__name__})") from exc
    if str(userinfo.get("sub")) != str(claims.get("sub")):
        raise ProviderAnswerInvalid("UserInfo answered about another subject than the ID token")
    return {**userinfo, **claims}


def account_for(session: Session, provider: SignInProvider, claims: dict[str, Any]) -> User:
    """The broker account the verified ID token ``claims`` stand for, bound to ``iss`` + ``sub``.

    A staff directory may sign in staff accounts only and the citizen identity service family
    accounts only.  An account set up in advance with just a username is bound to the subject
    the first time its owner signs in; after that only that subject reaches it.  A disabled
    account is refused.
    """
    issuer = str(claims.get("iss", ""))
    config = IssuerConfig(
        name=provider.name, issuer=issuer, audience="", username_claim=provider.username_claim,
    )
    user = find_user(session, config, claims, provider.development)
    if user is None:
        raise _refused(provider, _not_found_reason(provider, claims))
    if user.disabled_at is not None:
        raise _refused(provider, "the account is disabled", user)
    try:
        role = Role(user.role)
    except ValueError:
        raise _refused(provider, "the account's role is not one this service knows", user) from None
    if role not in provider.roles:
        raise _refused(provider, f"the account is not one the {provider.name} sign-in may sign in", user)
    if not provider.development and user.external_subject is None:
        user.issuer = issuer
        user.external_subject = str(claims["sub"])
        session.flush()
    return user


def _not_found_reason(provider: SignInProvider, claims: dict[str, Any]) -> str:
    looked_for = "no account is bound to this provider's issuer and subject (claim 'sub')"
    claim = provider.username_claim
    if provider.development or not claim:
        return looked_for
    if not claims.get(claim):
        return f"{looked_for}, and the provider gave no '{claim}' claim (in the ID token or from UserInfo) to find an unbound account by"
    return f"{looked_for}, nor is an account of this issuer waiting to be bound with the username in claim '{claim}'"


def _refused(provider: SignInProvider, reason: str, user: User | None = None) -> AccountNotAvailable:
    extra = {"provider": provider.name, "reason": reason}
    if user is not None:
        extra["user_id"] = str(user.id)
    log.info("sign-in refused: %s", reason, extra=extra)
    return AccountNotAvailable(reason)


def end_session_url(
    settings: Settings, provider: SignInProvider | None, discovery: DiscoveryDocuments,
) -> str | None:
    """Where to send the browser to end the provider's session too (OpenID Connect RP-Initiated
    Logout 1.0), coming back to the signed-out page; None when the provider has no
    ``end_session_endpoint``."""
    if provider is None or provider.discovery_url is None:
        return None
    try:
        document = discovery.get(provider.discovery_url)
    except DiscoveryFailed:
        log.warning("provider sign-out address unknown", extra={"provider": provider.name})
        return None
    endpoint = document.get("end_session_endpoint")
    if not isinstance(endpoint, str) or not endpoint.startswith(("https://", "http://")):
        return None
    query = urlencode({
        "client_id": provider.client_id or "",
        "post_logout_redirect_uri": signed_out_url(settings),
    })
    return f"{endpoint}{'&' if '?' in endpoint else '?'}{query}"


def signed_out_url(settings: Settings) -> str:
    """The page the provider sends the browser back to after signing out (register it there)."""
    return f"{settings.public_url.rstrip('/')}/signed-out"


def is_safe_next(target: str | None) -> TypeGuard[str]:
    """Only a path on this service: never another site (an open redirect), never the provider."""
    return (
        target is not None and target.startswith("/") and not target.startswith("//") and "\\" not in target
        and not target.startswith(DEV_ISSUER_PATH)
    )
