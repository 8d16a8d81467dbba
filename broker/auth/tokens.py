"""Validating bearer access tokens: signature against the issuer's JWKS, then the claims.

Each trusted issuer (the council's staff directory, the citizen identity service for families,
the machine-client issuer, or the development provider) has its own audience, algorithm
allow-list and claim mapping.  Unknown key ids trigger one JWKS refresh, rate-limited.

Only access tokens get in: a JWT access token says so in its ``typ`` header (``at+jwt``, RFC 9068
section 4), which keeps an ID token, signed by the same provider with the same keys, from being
replayed at the API.  A token whose lifetime is longer than the issuer's maximum is refused
whatever its signature: a stolen long-lived token would outlive any sign-out or disabling.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from joserfc import jws, jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from joserfc.jwt import JWTClaimsRegistry

from broker.auth.discovery import DiscoveryDocuments, DiscoveryFailed, discovery_url_of

# Asymmetric algorithms only: a shared-secret algorithm would let anyone holding the public key sign.
ALLOWED_ALGORITHMS = frozenset({"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384"})


class InvalidToken(Exception):
    """The token is missing, malformed, unsigned, wrongly signed, expired or not for us."""


@dataclass(frozen=True)
class IssuerConfig:
    """One identity provider the broker trusts, and how its claims map to a broker user."""

    name: str
    issuer: str
    audience: str
    jwks_uri: str | None = None
    algorithms: tuple[str, ...] = ("RS256",)
    subject_claim: str = "sub"
    username_claim: str | None = "preferred_username"
    leeway_seconds: int = 30
    # RFC 9068 section 4: the ``typ`` header of a JWT access token is ``at+jwt``.  A provider
    # that cannot set it (a few issue access tokens typed ``JWT``) may be trusted without it;
    # a token that carries a ``nonce`` (an ID token) is refused then all the same.
    require_at_jwt: bool = True
    max_lifetime_seconds: int = 24 * 3600


@dataclass
class _CachedKeys:
    keys: KeySet | None = None
    fetched_at: float = 0.0


@dataclass
class TrustedIssuer:
    config: IssuerConfig
    load_jwks: Callable[[], dict[str, Any]]
    max_age_seconds: float = 3600.0
    min_refresh_seconds: float = 30.0
    _cache: _CachedKeys = field(default_factory=_CachedKeys)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def key_set(self, kid: str | None) -> KeySet:
        with self._lock:
            now = time.monotonic()
            cached = self._cache.keys
            stale = cached is None or now - self._cache.fetched_at > self.max_age_seconds
            unknown = cached is not None and kid is not None and not _has_kid(cached, kid)
            may_refresh = now - self._cache.fetched_at > self.min_refresh_seconds
            if stale or (unknown and may_refresh):
                try:
                    self._cache = _CachedKeys(KeySet.import_key_set(self.load_jwks()), now)  # type: ignore[arg-type]
                except (httpx.HTTPError, ValueError, JoseError) as exc:
                    if cached is None:
                        raise InvalidToken(f"cannot fetch the signing keys of {self.config.name}") from exc
            assert self._cache.keys is not None
            return self._cache.keys


def _has_kid(keys: KeySet, kid: str) -> bool:
    return any(key.kid == kid for key in keys.keys)


def remote_jwks(uri: str, timeout: float = 5.0) -> Callable[[], dict[str, Any]]:
    def load() -> dict[str, Any]:
        response = httpx.get(uri, timeout=timeout)
        response.raise_for_status()
        return response.json()

    return load


def discovered_jwks(
    config: IssuerConfig, documents: DiscoveryDocuments, *, require_https: bool = False, timeout: float = 5.0,
) -> Callable[[], dict[str, Any]]:
    """Load ``config``'s keys from its ``jwks_uri`` if set, else from the ``jwks_uri`` its
    discovery document names (never a guessed path)."""

    def load() -> dict[str, Any]:
        uri = config.jwks_uri
        if uri is None:
            try:
                document = documents.get(discovery_url_of(config.issuer), issuer=config.issuer, require_https=require_https)
            except DiscoveryFailed as exc:
                raise ValueError(str(exc)) from exc
            uri = document.get("jwks_uri")
            if not isinstance(uri, str) or not uri:
                raise ValueError(f"the discovery document of {config.name} names no jwks_uri")
        if require_https and not uri.startswith("https://"):
            raise ValueError(f"the signing keys of {config.name} must be fetched over https")
        return remote_jwks(uri, timeout)()

    return load


ACCESS_TOKEN_TYPES = frozenset({"at+jwt", "application/at+jwt"})


class TokenVerifier:
    """Verifies a compact JWS access token against the issuer it names, and nothing else."""

    def __init__(self, issuers: list[TrustedIssuer]) -> None:
        self._by_issuer = {i.config.issuer: i for i in issuers}

    def verify(self, token: str) -> tuple[IssuerConfig, dict[str, Any]]:
        try:
            unverified = jws.extract_compact(token.encode("ascii"))
            header = unverified.protected
            payload = json.loads(unverified.payload)
        except (JoseError, ValueError, UnicodeError) as exc:
            raise InvalidToken("the token is not a well-formed signed JWT") from exc
        if not isinstance(payload, dict) or not isinstance(header, dict):
            raise InvalidToken("the token is not a well-formed signed JWT")
        trusted = self._by_issuer.get(payload.get("iss"))  # type: ignore[arg-type]
        if trusted is None:
            raise InvalidToken("the token's issuer is not trusted")
        config = trusted.config
        algorithm = header.get("alg")
        allowed = [a for a in config.algorithms if a in ALLOWED_ALGORITHMS]
        if algorithm not in allowed:
            raise InvalidToken("the token's signing algorithm is not accepted")
        typ = str(header.get("typ", "")).lower()
        if config.require_at_jwt and typ not in ACCESS_TOKEN_TYPES:
            raise InvalidToken("the token is not an access token (its typ is not at+jwt)")
        if "nonce" in payload:
            raise InvalidToken("the token is an ID token, not an access token")
        keys = trusted.key_set(header.get("kid"))
        try:
            decoded = jwt.decode(token, keys, algorithms=allowed)
        except (JoseError, ValueError) as exc:
            raise InvalidToken("the token's signature is not valid") from exc
        registry = JWTClaimsRegistry(
            leeway=config.leeway_seconds,
            iss={"essential": True, "value": config.issuer},
            aud={"essential": True, "value": config.audience},
            exp={"essential": True},
            sub={"essential": True},
        )
        try:
            registry.validate(decoded.claims)
        except JoseError as exc:
            raise InvalidToken(f"the token is not valid here: {exc.error}") from exc
        _check_lifetime(config, decoded.claims)
        return config, decoded.claims


def _check_lifetime(config: IssuerConfig, claims: dict[str, Any]) -> None:
    """Refuse a token meant to live longer than ``config.max_lifetime_seconds``."""
    exp, iat = claims.get("exp"), claims.get("iat")
    if not isinstance(exp, int | float):
        raise InvalidToken("the token has no valid expiry")
    start = iat if isinstance(iat, int | float) else time.time()
    if exp - start > config.max_lifetime_seconds or exp - time.time() > config.max_lifetime_seconds + config.leeway_seconds:
        raise InvalidToken("the token's lifetime is longer than this service accepts")
