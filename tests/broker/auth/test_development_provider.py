"""The development OpenID Connect provider at /dev-idp: discovery, keys, login page, codes with
PKCE, client credentials, userinfo; and that it exists nowhere but development and test."""

from __future__ import annotations

import base64
import hashlib
import html
import re
import secrets

import pytest
from fastapi.testclient import TestClient
from joserfc import jwt
from joserfc.jwk import KeySet

from broker.accounts.models import User
from broker.app import create_app
from broker.dev.identity_keys import (
    WEB_CLIENT_ID,
    DevelopmentProviderRefused,
    dev_client_secret,
    dev_issuer_url,
    dev_jwks,
    dev_web_redirect_uri,
    discovery_document,
    issue_authorization_code,
    issue_dev_token,
)
from broker.platform.settings import Settings

pytestmark = pytest.mark.usefixtures("demo")


def _pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def _authorize_params(settings: Settings, challenge: str, **overrides: str) -> dict[str, str]:
    params = {
        "response_type": "code", "client_id": WEB_CLIENT_ID, "redirect_uri": dev_web_redirect_uri(settings),
        "scope": "openid profile", "state": "state-123", "nonce": "nonce-456",
        "code_challenge": challenge, "code_challenge_method": "S256",
    }
    params.update(overrides)
    return params


def _sign_in_at_provider(client: TestClient, settings: Settings, username: str, challenge: str) -> str:
    """Open the login page, pick ``username``, return the authorization code it redirects with."""
    page = client.get("/dev-idp/authorize", params=_authorize_params(settings, challenge))
    assert page.status_code == 200
    form = next(f for f in re.findall(r"<form.*?</form>", page.text, re.S) if f'value="{username}"' in f)
    data = {k: html.unescape(v) for k, v in re.findall(r'name="([^"]+)" value="([^"]*)"', form)}
    answer = client.post("/dev-idp/authorize", data=data, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    location = answer.headers["location"]
    assert location.startswith(dev_web_redirect_uri(settings) + "?")
    assert "state=state-123" in location
    return re.search(r"code=([^&]+)", location).group(1)  # type: ignore[union-attr]


def _token(client: TestClient, settings: Settings, **form: str):  # type: ignore[no-untyped-def]
    auth = (WEB_CLIENT_ID, dev_client_secret(settings, WEB_CLIENT_ID))
    return client.post("/dev-idp/token", data=form, auth=auth)


@pytest.fixture
def browser(app) -> TestClient:  # type: ignore[no-untyped-def]
    with TestClient(app, base_url="https://testserver") as client:
        yield client


def test_discovery_document_and_keys(client: TestClient, settings: Settings) -> None:
    document = client.get("/dev-idp/.well-known/openid-configuration").json()
    issuer = dev_issuer_url(settings)
    assert document["issuer"] == issuer == settings.public_url + "/dev-idp"
    assert document["token_endpoint"] == issuer + "/token"
    assert document["code_challenge_methods_supported"] == ["S256"]
    assert set(document["grant_types_supported"]) == {"authorization_code", "client_credentials"}
    keys = client.get("/dev-idp/jwks").json()["keys"]
    assert len(keys) == 1 and keys[0]["kty"] == "RSA" and "d" not in keys[0]


def test_login_page_lists_the_demo_people_but_not_machine_clients(browser: TestClient, settings: Settings) -> None:
    page = browser.get("/dev-idp/authorize", params=_authorize_params(settings, _pkce()[1]))
    assert page.status_code == 200
    for username in ("sarah.clarke", "david.clarke", "sen.caseworker", "ig.auditor", "admin"):
        assert f'value="{username}"' in page.text
    assert "education.system" not in page.text
    assert page.headers["cache-control"] == "no-store"


@pytest.mark.parametrize("override", [
    {"redirect_uri": "https://evil.example/callback"},
    {"client_id": "someone-else"},
    {"code_challenge_method": "plain"},
    {"code_challenge": ""},
    {"response_type": "token"},
    {"scope": "profile"},
    {"nonce": ""},
])
def test_bad_authorization_requests_are_refused_without_redirecting(browser, settings, override) -> None:  # type: ignore[no-untyped-def]
    page = browser.get("/dev-idp/authorize", params=_authorize_params(settings, _pkce()[1], **override),
                       follow_redirects=False)
    assert page.status_code == 400
    assert "location" not in page.headers


def test_code_exchange_with_pkce_gives_an_id_token_with_the_nonce(browser: TestClient, settings: Settings) -> None:
    verifier, challenge = _pkce()
    code = _sign_in_at_provider(browser, settings, "sarah.clarke", challenge)
    response = _token(browser, settings, grant_type="authorization_code", code=code,
                      redirect_uri=dev_web_redirect_uri(settings), code_verifier=verifier)
    assert response.status_code == 200, response.text
    body = response.json()
    assert response.headers["cache-control"] == "no-store"
    keys = KeySet.import_key_set(dev_jwks(settings))
    id_token = jwt.decode(body["id_token"], keys, algorithms=["RS256"]).claims
    assert id_token["nonce"] == "nonce-456"
    assert id_token["aud"] == WEB_CLIENT_ID
    assert id_token["iss"] == dev_issuer_url(settings)
    assert id_token["preferred_username"] == "sarah.clarke"
    me = browser.get("/api/v1/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.json()["username"] == "sarah.clarke"
    info = browser.get("/dev-idp/userinfo", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert info.json() == {"sub": id_token["sub"], "preferred_username": "sarah.clarke", "name": "Sarah Clarke"}
    again = _token(browser, settings, grant_type="authorization_code", code=code,
                   redirect_uri=dev_web_redirect_uri(settings), code_verifier=verifier)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"


def test_a_wrong_or_missing_pkce_verifier_is_refused(browser: TestClient, settings: Settings) -> None:
    verifier, challenge = _pkce()
    code = _sign_in_at_provider(browser, settings, "sen.caseworker", challenge)
    for wrong in ({"code_verifier": _pkce()[0]}, {}):
        response = _token(browser, settings, grant_type="authorization_code", code=code,
                          redirect_uri=dev_web_redirect_uri(settings), **wrong)
        assert response.status_code == 400 and response.json()["error"] == "invalid_grant"
    # The refusals did not use the code up: the right verifier still works, once.
    ok = _token(browser, settings, grant_type="authorization_code", code=code,
                redirect_uri=dev_web_redirect_uri(settings), code_verifier=verifier)
    assert ok.status_code == 200


def test_forged_expired_and_misdirected_codes_are_refused(client, settings, database) -> None:  # type: ignore[no-untyped-def]
    verifier, challenge = _pkce()
    with database.sessions() as s:
        user = s.query(User).filter_by(username="admin").one()
    params = _authorize_params(settings, challenge)
    code = issue_authorization_code(settings, user, params)
    forged = code[:-3] + ("aaa" if not code.endswith("aaa") else "bbb")
    for form in (
        {"code": forged, "redirect_uri": params["redirect_uri"]},
        {"code": code, "redirect_uri": "https://evil.example/callback"},
        {"code": "not-a-code", "redirect_uri": params["redirect_uri"]},
    ):
        response = _token(client, settings, grant_type="authorization_code", code_verifier=verifier, **form)
        assert response.json()["error"] == "invalid_grant", form
    other = Settings(**{**settings.model_dump(), "secret_key": "another-secret-" + "x" * 30})
    foreign = issue_authorization_code(other, user, params)
    response = _token(client, settings, grant_type="authorization_code", code=foreign,
                      redirect_uri=params["redirect_uri"], code_verifier=verifier)
    assert response.json()["error"] == "invalid_grant"


def test_client_authentication_is_required_at_the_token_endpoint(client: TestClient, settings: Settings) -> None:
    response = client.post("/dev-idp/token", data={"grant_type": "client_credentials"},
                           auth=("education.system", "wrong"))
    assert response.status_code == 401 and response.json()["error"] == "invalid_client"
    assert client.post("/dev-idp/token", data={"grant_type": "client_credentials"}).status_code == 401
    response = _token(client, settings, grant_type="password", username="admin", password="x")
    assert response.json()["error"] == "unsupported_grant_type"


def test_machine_clients_get_a_system_token_by_client_credentials(client: TestClient, settings: Settings) -> None:
    secret = dev_client_secret(settings, "education.system")
    for how in ({"auth": ("education.system", secret)},
                {"data_extra": {"client_id": "education.system", "client_secret": secret}}):
        data = {"grant_type": "client_credentials", **how.get("data_extra", {})}
        response = client.post("/dev-idp/token", data=data, auth=how.get("auth"))
        assert response.status_code == 200, response.text
        assert "id_token" not in response.json()
        token = response.json()["access_token"]
        me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).json()
        assert me["role"] == "system" and me["username"] == "education.system"


def test_people_cannot_use_client_credentials(client: TestClient, settings: Settings) -> None:
    response = _token(client, settings, grant_type="client_credentials")
    assert response.status_code == 400 and response.json()["error"] == "unauthorized_client"
    secret = dev_client_secret(settings, "sen.caseworker")
    response = client.post("/dev-idp/token", data={"grant_type": "client_credentials"}, auth=("sen.caseworker", secret))
    assert response.json()["error"] == "unauthorized_client"


def test_userinfo_needs_a_valid_token(client: TestClient) -> None:
    assert client.get("/dev-idp/userinfo").status_code == 401
    assert client.get("/dev-idp/userinfo", headers={"Authorization": "Bearer x.y.z"}).status_code == 401


def test_the_login_form_needs_its_form_token(browser: TestClient, settings: Settings) -> None:
    params = _authorize_params(settings, _pkce()[1])
    browser.get("/dev-idp/authorize", params=params)
    response = browser.post("/dev-idp/authorize", data={**params, "username": "admin"}, follow_redirects=False)
    assert response.status_code == 403
    assert "location" not in response.headers


def _production() -> Settings:
    import base64
    import json
    import os

    return Settings(
        environment="production", database_url="postgresql://db.example/broker",
        secret_key="p" * 40, public_url="https://broker.example.gov.uk",
        keks=json.dumps({"2026-11": base64.b64encode(os.urandom(32)).decode()}),
    )


def test_the_provider_does_not_exist_in_production() -> None:
    settings = _production()
    app = create_app(settings)
    try:
        with TestClient(app, base_url="https://broker.example.gov.uk") as client:
            for path in ("/dev-idp/.well-known/openid-configuration", "/dev-idp/jwks", "/dev-idp/authorize",
                         "/dev-idp/userinfo", "/sign-in/development"):
                assert client.get(path).status_code == 404, path
            assert client.post("/dev-idp/token", data={"grant_type": "client_credentials"}).status_code == 404
            assert "development" not in client.get("/sign-in").text.lower()
    finally:
        app.state.database.dispose()


def test_the_provider_functions_refuse_in_production() -> None:
    settings = _production()
    user = User(username="admin", display_name="", role="admin")
    for call in (
        lambda: discovery_document(settings), lambda: dev_jwks(settings),
        lambda: dev_client_secret(settings, WEB_CLIENT_ID), lambda: issue_dev_token(settings, user),
        lambda: issue_authorization_code(settings, user, {}),
    ):
        with pytest.raises(DevelopmentProviderRefused):
            call()


def test_the_provider_can_be_switched_off_in_development(settings: Settings) -> None:
    off = Settings(**{**settings.model_dump(), "dev_identity_provider": False})
    app = create_app(off)
    try:
        with TestClient(app) as client:
            assert client.get("/dev-idp/jwks").status_code == 404
    finally:
        app.state.database.dispose()
