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

from authlib.integrations.starlette_client import OAuth
from sqlalchemy.orm import Session

from broker.accounts.models import User
from broker.auth.dependencies import find_user
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


def sign_in_providers(settings: Settings) -> list[SignInProvider]:
    providers = [
        SignInProvider(
            name=p.audience.value,
            label=p.label or ("Council staff" if p.audience is SignInAudience.staff else "Parents and young people"),
            roles=_ROLES_BY_AUDIENCE[p.audience], username_claim=p.username_claim,
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
    """The identity provider vouched for someone who has no account here it may sign in."""


def account_for(session: Session, provider: SignInProvider, claims: dict[str, Any]) -> User:
    """The broker account the verified ID token ``claims`` stand for, bound to ``iss`` + ``sub``.

    A staff directory may sign in staff accounts only and the citizen identity service family
    accounts only.  An account set up in advance with just a username is bound to the subject
    the first time its owner signs in; after that only that subject reaches it.
    """
    issuer = str(claims.get("iss", ""))
    config = IssuerConfig(
        name=provider.name, issuer=issuer, audience="", username_claim=provider.username_claim,
    )
    user = find_user(session, config, claims, provider.development)
    if user is None or Role(user.role) not in provider.roles:
        log.info("sign-in refused", extra={"provider": provider.name, "reason": "no account for this provider"})
        raise AccountNotAvailable
    if not provider.development and user.external_subject is None:
        user.issuer = issuer
        user.external_subject = str(claims["sub"])
        session.flush()
    return user


def is_safe_next(target: str | None) -> TypeGuard[str]:
    """Only a path on this service: never another site (an open redirect), never the provider."""
    return (
        target is not None and target.startswith("/") and not target.startswith("//") and "\\" not in target
        and not target.startswith(DEV_ISSUER_PATH)
    )
