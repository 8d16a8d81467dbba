"""Bearer tokens: only well-signed, current tokens from a trusted issuer, for us, get in."""

from __future__ import annotations

import base64
import json
import time

import pytest
from cryptography.hazmat.primitives import serialization
from fastapi.testclient import TestClient
from joserfc import jwt
from joserfc.jwk import RSAKey
from sqlalchemy import select

from broker.accounts.models import User
from broker.dev.identity_keys import dev_issuer_url, issue_dev_token
from broker.platform.settings import Settings

pytestmark = pytest.mark.usefixtures("demo")


def _user(database, username: str) -> User:  # type: ignore[no-untyped-def]
    with database.sessions() as s:
        return s.scalars(select(User).where(User.username == username)).one()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _claims(settings: Settings, user: User, **overrides: object) -> dict[str, object]:
    now = int(time.time())
    claims: dict[str, object] = {
        "iss": dev_issuer_url(settings), "aud": settings.api_audience, "sub": str(user.id),
        "iat": now, "nbf": now, "exp": now + 300,
    }
    claims.update(overrides)
    return claims


def _me(client: TestClient, token: str) -> int:
    return client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code


def test_a_valid_development_token_identifies_the_account(client, auth_headers) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/api/v1/me", headers=auth_headers("sen.caseworker"))
    assert response.status_code == 200
    assert response.json()["username"] == "sen.caseworker"
    assert response.json()["role"] == "caseworker"


def test_no_token_is_401_with_a_bearer_challenge(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.headers["content-type"].startswith("application/problem+json")
    assert client.get("/api/v1/me", headers={"Authorization": "Basic abc"}).status_code == 401


def test_expired_token_is_401(client, settings, database) -> None:  # type: ignore[no-untyped-def]
    user = _user(database, "sen.caseworker")
    token = issue_dev_token(settings, user, extra_claims={"exp": int(time.time()) - 120})
    assert _me(client, token) == 401


def test_not_yet_valid_token_is_401(client, settings, database) -> None:  # type: ignore[no-untyped-def]
    user = _user(database, "sen.caseworker")
    token = issue_dev_token(settings, user, extra_claims={"nbf": int(time.time()) + 600})
    assert _me(client, token) == 401


def test_wrong_audience_is_401(client, settings, database) -> None:  # type: ignore[no-untyped-def]
    token = issue_dev_token(settings, _user(database, "sen.caseworker"), audience="another-service")
    assert _me(client, token) == 401


def test_wrong_issuer_is_401(client, settings, database) -> None:  # type: ignore[no-untyped-def]
    token = issue_dev_token(settings, _user(database, "sen.caseworker"), extra_claims={"iss": "https://evil.example"})
    assert _me(client, token) == 401


def test_unsigned_alg_none_token_is_401(client, settings, database) -> None:  # type: ignore[no-untyped-def]
    claims = _claims(settings, _user(database, "admin"))
    token = f"{_b64(json.dumps({'alg': 'none', 'typ': 'JWT'}).encode())}.{_b64(json.dumps(claims).encode())}."
    assert _me(client, token) == 401


def test_hs256_signed_with_the_public_key_is_401(client, settings, database) -> None:  # type: ignore[no-untyped-def]
    from broker.platform.keys import rsa_key

    public_pem = rsa_key(settings, "dev-identity-provider").public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    claims = _claims(settings, _user(database, "admin"))
    header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = _b64(json.dumps(claims).encode())
    import hashlib
    import hmac

    signature = _b64(hmac.new(public_pem, f"{header}.{body}".encode(), hashlib.sha256).digest())
    assert _me(client, f"{header}.{body}.{signature}") == 401


def test_tampered_token_is_401(client, settings, database) -> None:  # type: ignore[no-untyped-def]
    token = issue_dev_token(settings, _user(database, "sarah.clarke"))
    header, body, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    claims["sub"] = str(_user(database, "admin").id)
    forged = f"{header}.{_b64(json.dumps(claims).encode())}.{signature}"
    assert _me(client, forged) == 401


def test_token_signed_by_another_key_with_the_same_kid_is_401(client, settings, database) -> None:  # type: ignore[no-untyped-def]
    from broker.dev.identity_keys import dev_signing_key

    kid = dev_signing_key(settings).kid
    stranger = RSAKey.generate_key(2048)
    token = jwt.encode({"alg": "RS256", "kid": kid}, _claims(settings, _user(database, "admin")), stranger)
    assert _me(client, token) == 401


def test_garbage_is_401(client) -> None:  # type: ignore[no-untyped-def]
    for token in ["x", "a.b.c", "....", "%C3%A9.e30.e30", "e30.e30.e30"]:
        assert _me(client, token) == 401


def test_token_for_an_account_that_does_not_exist_is_401(client, settings, database) -> None:  # type: ignore[no-untyped-def]
    ghost = User(id=__import__("uuid").uuid4(), username="ghost", display_name="", role="admin")
    assert _me(client, issue_dev_token(settings, ghost)) == 401
