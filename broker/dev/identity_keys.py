"""The development identity provider's signing key and tokens (development and test only).

``make run`` and the tests sign in through it; production refuses it (see ``Settings``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import threading
import time
import uuid
from typing import Any

from itsdangerous import BadData, URLSafeTimedSerializer
from joserfc import jwt
from joserfc.jwk import RSAKey

from broker.accounts.models import User
from broker.auth.tokens import IssuerConfig
from broker.platform.keys import rsa_key
from broker.platform.settings import Settings

DEV_ISSUER_PATH = "/dev-idp"
DEFAULT_TTL_SECONDS = 3600
MAX_TTL_SECONDS = 24 * 3600


class DevelopmentProviderRefused(RuntimeError):
    """The development identity provider was asked for outside development mode."""


def provider_allowed(settings: Settings) -> bool:
    """True where the development provider may run: development or test, and not switched off."""
    return bool(settings.dev_identity_provider) and not settings.is_production


def _ensure_allowed(settings: Settings) -> None:
    if not provider_allowed(settings):
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
        algorithms=("RS256",), max_lifetime_seconds=settings.max_token_lifetime_seconds,
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


# --- The provider's clients, authorization codes and ID tokens -------------------------------

WEB_CLIENT_ID = "send-broker-web"
WEB_CALLBACK_PATH = "/auth/callback/development"
AUTHORIZATION_CODE_TTL_SECONDS = 60
_CODE_SALT = "dev-idp-authorization-code"


class GrantRefused(Exception):
    """An OAuth 2.0 error the token or authorization endpoint answers with (RFC 6749 section 5.2)."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status


def dev_client_secret(settings: Settings, client_id: str) -> str:
    """The development provider's secret for ``client_id``: derived from the secret key, never stored.

    ``broker dev-client CLIENT_ID`` prints it for a machine client.
    """
    _ensure_allowed(settings)
    secret = settings.secret_key.get_secret_value().encode()
    return hmac.new(secret, b"dev-idp-client:" + client_id.encode(), hashlib.sha256).hexdigest()


def dev_web_redirect_uri(settings: Settings) -> str:
    return settings.public_url.rstrip("/") + WEB_CALLBACK_PATH


def discovery_document(settings: Settings) -> dict[str, Any]:
    """The provider's OpenID Connect discovery document (OpenID Connect Discovery 1.0)."""
    _ensure_allowed(settings)
    issuer = dev_issuer_url(settings)
    return {
        "issuer": issuer,
        "authorization_endpoint": issuer + "/authorize",
        "token_endpoint": issuer + "/token",
        "userinfo_endpoint": issuer + "/userinfo",
        "jwks_uri": issuer + "/jwks",
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "client_credentials"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "scopes_supported": ["openid", "profile"],
        "claims_supported": ["sub", "iss", "aud", "exp", "iat", "nonce", "preferred_username", "name"],
    }


def check_client(settings: Settings, client_id: str | None, client_secret: str | None) -> str:
    """The authenticated client id, or ``invalid_client`` (compared in constant time)."""
    if not client_id or client_secret is None:
        raise GrantRefused("invalid_client", "client authentication failed", 401)
    if not hmac.compare_digest(dev_client_secret(settings, client_id), client_secret):
        raise GrantRefused("invalid_client", "client authentication failed", 401)
    return client_id


def check_authorization_request(settings: Settings, params: dict[str, str]) -> None:
    """Refuse an authorization request the provider must not redirect back for (RFC 6749 4.1.2.1).

    Only the broker's own web client is registered, with one redirect URI; PKCE with S256 is
    required, and so is a nonce.
    """
    _ensure_allowed(settings)
    if params.get("client_id") != WEB_CLIENT_ID:
        raise GrantRefused("invalid_request", "unknown client")
    if params.get("redirect_uri") != dev_web_redirect_uri(settings):
        raise GrantRefused("invalid_request", "the redirect URI is not registered for this client")
    if params.get("response_type") != "code":
        raise GrantRefused("unsupported_response_type", "only the authorization code flow is supported")
    if "openid" not in params.get("scope", "").split():
        raise GrantRefused("invalid_scope", "the openid scope is required")
    if params.get("code_challenge_method") != "S256" or not params.get("code_challenge"):
        raise GrantRefused("invalid_request", "PKCE with code_challenge_method=S256 is required")
    if not params.get("state") or not params.get("nonce"):
        raise GrantRefused("invalid_request", "state and nonce are required")


def _code_serializer(settings: Settings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.secret_key.get_secret_value(), salt=_CODE_SALT)


def issue_authorization_code(settings: Settings, user: User, params: dict[str, str]) -> str:
    """A signed authorization code, valid for one minute, bound to the client, redirect URI,
    PKCE challenge and nonce of the request that produced it."""
    _ensure_allowed(settings)
    return _code_serializer(settings).dumps({
        "jti": secrets.token_urlsafe(16),
        "user_id": str(user.id),
        "client_id": params["client_id"],
        "redirect_uri": params["redirect_uri"],
        "code_challenge": params["code_challenge"],
        "nonce": params["nonce"],
        "scope": params.get("scope", "openid"),
    })


def s256(code_verifier: str) -> str:
    digest = hashlib.sha256(code_verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


class RedeemedCodes:
    """Codes already exchanged, kept until they expire, so each code works once (per process)."""

    def __init__(self) -> None:
        self._seen: dict[str, float] = {}
        self._lock = threading.Lock()

    def claim(self, jti: str) -> bool:
        now = time.monotonic()
        with self._lock:
            self._seen = {k: t for k, t in self._seen.items() if now - t < 2 * AUTHORIZATION_CODE_TTL_SECONDS}
            if jti in self._seen:
                return False
            self._seen[jti] = now
            return True


def redeem_authorization_code(
    settings: Settings, redeemed: RedeemedCodes, *, code: str, client_id: str, redirect_uri: str | None,
    code_verifier: str | None,
) -> dict[str, Any]:
    """The grant behind ``code``, once, if the client, redirect URI and PKCE verifier match it."""
    _ensure_allowed(settings)
    try:
        grant = _code_serializer(settings).loads(code, max_age=AUTHORIZATION_CODE_TTL_SECONDS)
    except BadData:
        raise GrantRefused("invalid_grant", "the authorization code is not valid or has expired") from None
    if grant["client_id"] != client_id or grant["redirect_uri"] != redirect_uri:
        raise GrantRefused("invalid_grant", "the authorization code was issued to another client")
    if not code_verifier or not hmac.compare_digest(s256(code_verifier), grant["code_challenge"]):
        raise GrantRefused("invalid_grant", "the PKCE code verifier does not match the challenge")
    if not redeemed.claim(grant["jti"]):
        raise GrantRefused("invalid_grant", "the authorization code has already been used")
    return grant


def issue_id_token(settings: Settings, user: User, *, client_id: str, nonce: str) -> str:
    """An OpenID Connect ID token for ``user``, for ``client_id``, carrying the request's nonce."""
    key = dev_signing_key(settings)
    now = int(time.time())
    claims = {
        "iss": dev_issuer_url(settings), "aud": client_id, "sub": str(user.id), "nonce": nonce,
        "iat": now, "exp": now + 300, "auth_time": now,
        "preferred_username": user.username, "name": user.display_name,
    }
    return jwt.encode({"alg": "RS256", "kid": key.kid, "typ": "JWT"}, claims, key)
