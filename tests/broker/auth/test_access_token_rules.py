"""Only access tokens get in: typed at+jwt (RFC 9068), not ID tokens, and not too long-lived."""

from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient
from joserfc import jwt
from sqlalchemy import select

from broker.accounts.models import User
from broker.auth.dependencies import AccountUnusable, usable_role
from broker.dev.identity_keys import WEB_CLIENT_ID, dev_issuer_url, dev_signing_key, issue_dev_token, issue_id_token
from broker.platform.settings import Settings

pytestmark = pytest.mark.usefixtures("demo")

PRODUCTION = {"environment": "production", "database_url": "postgresql://db/broker", "secret_key": "x" * 40,
              "public_url": "https://broker.example.gov.uk"}


def _user(database, username: str) -> User:  # type: ignore[no-untyped-def]
    with database.sessions() as s:
        return s.scalars(select(User).where(User.username == username)).one()


def _signed(settings: Settings, claims: dict[str, object], typ: str | None) -> str:
    key = dev_signing_key(settings)
    header: dict[str, object] = {"alg": "RS256", "kid": key.kid}
    if typ is not None:
        header["typ"] = typ
    return jwt.encode(header, claims, key)


def _claims(settings: Settings, user: User, lifetime: int = 300) -> dict[str, object]:
    now = int(time.time())
    return {"iss": dev_issuer_url(settings), "aud": settings.api_audience, "sub": str(user.id),
            "iat": now, "exp": now + lifetime}


def _me(client: TestClient, token: str):  # type: ignore[no-untyped-def]
    return client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})


def test_the_development_provider_issues_at_jwt_access_tokens_and_they_get_in(client, settings, database) -> None:  # type: ignore[no-untyped-def]
    token = issue_dev_token(settings, _user(database, "sarah.clarke"))
    assert jwt.decode(token, dev_signing_key(settings)).header["typ"] == "at+jwt"
    assert _me(client, token).status_code == 200


@pytest.mark.parametrize("typ", [None, "JWT", "id+jwt"])
def test_a_token_not_typed_as_an_access_token_is_refused(client, settings, database, typ) -> None:  # type: ignore[no-untyped-def]
    response = _me(client, _signed(settings, _claims(settings, _user(database, "sarah.clarke")), typ))
    assert response.status_code == 401
    assert "not an access token" in response.json()["detail"]


def test_an_id_token_is_refused_as_an_access_token(client, settings, database) -> None:  # type: ignore[no-untyped-def]
    user = _user(database, "sarah.clarke")
    id_token = issue_id_token(settings, user, client_id=WEB_CLIENT_ID, nonce="n-1")
    assert _me(client, id_token).status_code == 401
    # Even one addressed to the API and typed as an access token: it carries a nonce.
    forged = _signed(settings, {**_claims(settings, user), "nonce": "n-1"}, "at+jwt")
    response = _me(client, forged)
    assert response.status_code == 401 and "ID token" in response.json()["detail"]


def test_a_token_living_longer_than_the_maximum_is_refused(client, settings, database) -> None:  # type: ignore[no-untyped-def]
    user = _user(database, "sarah.clarke")
    ten_years = _signed(settings, _claims(settings, user, lifetime=10 * 365 * 24 * 3600), "at+jwt")
    response = _me(client, ten_years)
    assert response.status_code == 401 and "lifetime" in response.json()["detail"]
    assert _me(client, _signed(settings, _claims(settings, user, lifetime=3600), "at+jwt")).status_code == 200


def test_the_maximum_lifetime_is_a_setting(settings, database) -> None:  # type: ignore[no-untyped-def]
    from broker.app import create_app

    strict = Settings(**{**settings.model_dump(), "max_token_lifetime_seconds": 600})
    app = create_app(strict)
    try:
        with TestClient(app) as client:
            user = _user(database, "sarah.clarke")
            assert _me(client, issue_dev_token(strict, user, ttl_seconds=3600)).status_code == 401
            assert _me(client, issue_dev_token(strict, user, ttl_seconds=300)).status_code == 200
    finally:
        app.state.database.dispose()


def test_production_refuses_plain_http_token_issuers_and_key_addresses() -> None:
    with pytest.raises(ValueError, match="token issuer 'staff' must be an https"):
        Settings(**PRODUCTION, oidc_issuers=[{"name": "staff", "issuer": "http://login.example", "audience": "a"}])
    with pytest.raises(ValueError, match="JWKS address of the token issuer 'staff'"):
        Settings(**PRODUCTION, oidc_issuers=[{"name": "staff", "issuer": "https://login.example", "audience": "a",
                                              "jwks_uri": "http://login.example/keys"}])


def test_an_unknown_or_disabled_account_role_is_refused_not_an_error() -> None:
    with pytest.raises(AccountUnusable, match="no role this service knows"):
        usable_role(User(username="x", display_name="X", role="superuser"))
    from consent.models import utcnow

    with pytest.raises(AccountUnusable, match="disabled"):
        usable_role(User(username="x", display_name="X", role="caseworker", disabled_at=utcnow()))
