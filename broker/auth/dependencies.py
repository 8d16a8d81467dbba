"""FastAPI dependencies that authenticate the caller and admit only the roles an endpoint names."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import select
from sqlalchemy.orm import Session

from broker.accounts.models import User
from broker.auth.discovery import DiscoveryDocuments
from broker.auth.principal import Principal, Role
from broker.auth.tokens import InvalidToken, IssuerConfig, TokenVerifier, TrustedIssuer, discovered_jwks
from broker.dev.identity_keys import dev_issuer_config, dev_jwks
from broker.platform.db import SessionDep
from broker.platform.errors import Forbidden, Unauthenticated
from broker.platform.settings import Settings

log = logging.getLogger(__name__)


class AccountUnusable(Exception):
    """The account exists but may not be used: it is disabled, or its role is not one the broker knows."""


# An operation anyone may call (probes, published keys): says so in the OpenAPI document, where
# every other operation names the bearer scheme.
PUBLIC_OPERATION: dict[str, Any] = {"security": []}

# Declares the bearer token in the OpenAPI document (a security scheme on every operation that
# needs one), so generated clients and the docs page know; the token itself is read below.
BEARER_SCHEME = HTTPBearer(
    auto_error=False, scheme_name="bearer", bearerFormat="JWT",
    description="An OAuth 2.0 access token from an issuer the broker trusts: a signed JWT typed "
    "at+jwt (RFC 9068), for the broker's API audience.",
)
BearerCredentials = Annotated[HTTPAuthorizationCredentials | None, Security(BEARER_SCHEME)]


def build_token_verifier(settings: Settings, discovery: DiscoveryDocuments | None = None) -> TokenVerifier:
    """Every issuer the settings trust, plus the development provider where it is allowed.

    An issuer's keys come from its ``jwks_uri`` setting, else from its discovery document.
    """
    discovery = discovery or DiscoveryDocuments()
    issuers = [
        TrustedIssuer(config, discovered_jwks(config, discovery, require_https=settings.is_production))
        for config in settings.trusted_issuers()
    ]
    if settings.dev_identity_provider and not settings.is_production:
        issuers.append(TrustedIssuer(dev_issuer_config(settings), lambda: dev_jwks(settings)))
    return TokenVerifier(issuers)


def _bearer_token(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("Send a bearer access token in the Authorization header.")
    return token.strip()


def find_user(session: Session, config: IssuerConfig, claims: dict[str, Any], development: bool) -> User | None:
    """The account ``claims`` from ``config``'s issuer belong to: by ``iss`` + ``sub``, else by the
    username claim for an account of that issuer not yet bound to a subject."""
    subject = str(claims.get(config.subject_claim, ""))
    if development:
        try:
            return session.get(User, uuid.UUID(subject))
        except ValueError:
            return None
    user = session.scalars(
        select(User).where(User.issuer == config.issuer, User.external_subject == subject)
    ).one_or_none()
    if user is None and config.username_claim and claims.get(config.username_claim):
        user = session.scalars(
            select(User).where(
                User.username == str(claims[config.username_claim]),
                User.issuer == config.issuer,
                User.external_subject.is_(None),
            )
        ).one_or_none()
    return user


def authenticate(request: Request, session: Session) -> Principal:
    """The caller of this request, from its bearer token; 401 when there is none or it is not valid."""
    cached = getattr(request.state, "principal", None)
    if cached is not None:
        return cached
    verifier: TokenVerifier = request.app.state.token_verifier
    try:
        config, claims = verifier.verify(_bearer_token(request))
    except InvalidToken as exc:
        raise Unauthenticated(str(exc)) from None
    development = config.name == "development"
    user = find_user(session, config, claims, development)
    if user is None:
        raise Unauthenticated("The token is valid but belongs to no account of this service.")
    try:
        principal = principal_for(user, config.issuer)
    except AccountUnusable as exc:
        raise Unauthenticated(str(exc)) from None
    request.state.principal = principal
    return principal


def usable_role(user: User) -> Role:
    """The role of an account that may be used; ``AccountUnusable`` for a disabled account or a
    role the broker does not know (a database edited by hand), which must never become a 500."""
    if user.disabled_at is not None:
        raise AccountUnusable("This account is disabled.")
    try:
        return Role(user.role)
    except ValueError:
        log.warning("account refused: unknown role", extra={"user_id": str(user.id)})
        raise AccountUnusable("This account has no role this service knows. Ask an administrator to set one.") from None


def principal_for(user: User, issuer: str | None) -> Principal:
    """The caller a broker user account stands for, however they proved who they are;
    ``AccountUnusable`` when the account is disabled or its role unknown."""
    return Principal(
        user_id=user.id, username=user.username, display_name=user.display_name, role=usable_role(user),
        organisation_id=user.organisation_id, person_id=user.person_id, issuer=issuer,
    )


def admit(principal: Principal, admitted: frozenset[Role]) -> Principal:
    """``principal`` if their role is one of ``admitted``; 403 otherwise."""
    if principal.role not in admitted:
        names = ", ".join(sorted(r.value for r in admitted))
        raise Forbidden(f"This needs one of these roles: {names}.")
    return principal


def admitted_roles(dependency: Callable[..., Any]) -> frozenset[Role] | None:
    """The roles a ``require_roles`` (or ``require_web_roles``) dependency admits; None for others."""
    return getattr(dependency, "admitted_roles", None)


def require_roles(*roles: Role) -> Callable[..., Principal]:
    """A dependency admitting only ``roles``: 401 without a valid token, 403 for any other role."""
    admitted = frozenset(roles)
    names = ", ".join(sorted(r.value for r in admitted))

    def dependency(request: Request, session: SessionDep, _bearer: BearerCredentials) -> Principal:
        return admit(authenticate(request, session), admitted)

    dependency.__doc__ = f"Admits: {names}."
    # Read by the test that proves every endpoint refuses the roles it does not list.
    dependency.admitted_roles = admitted  # type: ignore[attr-defined]
    return dependency
