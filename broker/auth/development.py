"""The development identity provider's signing key and tokens (development and test only).

``make run`` and the tests sign in through it; production refuses it (see ``Settings``).
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from joserfc import jwt
from joserfc.jwk import RSAKey

from broker.auth.tokens import IssuerConfig
from broker.keys import rsa_key
from broker.models import User
from broker.settings import Settings

DEV_ISSUER_PATH = "/dev-idp"
DEFAULT_TTL_SECONDS = 3600
MAX_TTL_SECONDS = 24 * 3600


class DevelopmentProviderRefused(RuntimeError):
    """The development identity provider was asked for outside development mode."""


def _ensure_allowed(settings: Settings) -> None:
    if settings.is_production or not settings.dev_identity_provider:
        raise DevelopmentProviderRefused("the development identity provider is disabled here")


def dev_issuer_url(settings: Settings) -> str:
    return settings.public_url.rstrip("/") + DEV_ISSUER_PATH


def dev_signing_key(settings: Settings) -> RSAKey:
    _ensure_allowed(settings)
    key = RSAKey.import_key(rsa_key(settings, "dev-identity-provider"))
    key.ensure_kid()
    return key


def dev_jwks(settings: Settings) -> dict[str, Any]:
    return {"keys": [dev_signing_key(settings).as_dict(private=False, use="sig", alg="RS256")]}


def dev_issuer_config(settings: Settings) -> IssuerConfig:
    return IssuerConfig(
        name="development", issuer=dev_issuer_url(settings), audience=settings.api_audience,
        algorithms=("RS256",),
    )


def issue_dev_token(
    settings: Settings, user: User, *, ttl_seconds: int = DEFAULT_TTL_SECONDS,
    audience: str | None = None, extra_claims: dict[str, Any] | None = None,
) -> str:
    """An RS256 access token for a demo user, as the development provider would issue it."""
    _ensure_allowed(settings)
    if not 1 <= ttl_seconds <= MAX_TTL_SECONDS:
        raise ValueError(f"the token lifetime must be between 1 second and {MAX_TTL_SECONDS} seconds")
    key = dev_signing_key(settings)
    now = int(time.time())
    claims = {
        "iss": dev_issuer_url(settings),
        "aud": audience or settings.api_audience,
        "sub": str(user.id),
        "preferred_username": user.username,
        "iat": now,
        "nbf": now,
        "exp": now + ttl_seconds,
        "jti": uuid.uuid4().hex,
    }
    claims.update(extra_claims or {})
    return jwt.encode({"alg": "RS256", "kid": key.kid, "typ": "at+jwt"}, claims, key)
