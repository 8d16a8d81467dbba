"""The session cookie's flags and contents, and the form protection on signing out (the
toolkit itself, ``broker.web.forms``, has its own tests in test_forms.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from broker.app import create_app
from broker.platform.settings import Settings

pytestmark = pytest.mark.usefixtures("demo")


@pytest.fixture
def browser(app) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    with TestClient(app, base_url="https://testserver") as client:
        yield client


def _signed_in(browser: TestClient, web_session, username: str = "david.clarke") -> str:  # type: ignore[no-untyped-def]
    cookies, token = web_session(username)
    browser.cookies = cookies
    assert browser.get("/account", follow_redirects=False).status_code == 200
    return token


def test_sign_out_with_the_form_token_ends_the_session_on_the_server(browser, web_session) -> None:  # type: ignore[no-untyped-def]
    token = _signed_in(browser, web_session)
    copied = dict(browser.cookies)
    response = browser.post("/sign-out", data={"form_token": token}, headers={"Sec-Fetch-Site": "same-origin"},
                            follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/signed-out"
    assert "expires=thu, 01 jan 1970" in response.headers["set-cookie"].lower()
    # A copy of the cookie taken before signing out no longer signs anyone in.
    browser.cookies = copied
    assert browser.get("/account", follow_redirects=False).status_code == 303


def test_a_session_ends_after_its_lifetime_whatever_the_cookie_says(browser, web_session, database) -> None:  # type: ignore[no-untyped-def]
    from datetime import timedelta

    from sqlalchemy import update

    from broker.accounts.models import WebSession
    from consent.models import utcnow

    _signed_in(browser, web_session)
    with database.unit_of_work() as s:
        s.execute(update(WebSession).values(expires_at=utcnow() - timedelta(seconds=1)))
    assert browser.get("/account", follow_redirects=False).status_code == 303


@pytest.mark.parametrize("data,headers", [
    ({}, {}),
    ({"form_token": ""}, {}),
    ({"form_token": "forged.token.value"}, {}),
    ("token-of-another-session", {}),
    ("token-signed-with-another-key", {}),
    ("own-token", {"Sec-Fetch-Site": "cross-site"}),
    ("own-token", {"Sec-Fetch-Site": "same-site"}),
    ("own-token", {"Origin": "https://evil.example"}),
])
def test_form_posts_without_a_valid_token_or_from_elsewhere_are_refused(browser, web_session, settings, data, headers) -> None:  # type: ignore[no-untyped-def]
    token = _signed_in(browser, web_session)
    if data == "own-token":
        data = {"form_token": token}
    elif data == "token-of-another-session":
        data = {"form_token": web_session("david.clarke")[1]}
    elif data == "token-signed-with-another-key":
        from types import SimpleNamespace

        from starlette.requests import Request

        from broker.web.forms import form_token

        other = Settings(**{**settings.model_dump(), "secret_key": "z" * 40})
        request = Request({"type": "http", "session": {}, "app": SimpleNamespace(state=SimpleNamespace(settings=other))})
        data = {"form_token": form_token(request)}
    response = browser.post("/sign-out", data=data, headers=headers, follow_redirects=False)
    assert response.status_code == 403
    assert "text/html" in response.headers["content-type"]
    assert browser.get("/account", follow_redirects=False).status_code == 200, "the session survived"


def test_a_typed_or_same_origin_post_with_the_token_is_accepted(browser, web_session, settings) -> None:  # type: ignore[no-untyped-def]
    for headers in ({"Sec-Fetch-Site": "none"}, {"Origin": settings.public_url}, {}):
        token = _signed_in(browser, web_session)
        response = browser.post("/sign-out", data={"form_token": token}, headers=headers, follow_redirects=False)
        assert response.status_code == 303, headers


def _login_page(client: TestClient, settings: Settings):  # type: ignore[no-untyped-def]
    from broker.dev.identity_keys import WEB_CLIENT_ID, dev_web_redirect_uri

    return client.get("/dev-idp/authorize", params={
        "response_type": "code", "client_id": WEB_CLIENT_ID, "redirect_uri": dev_web_redirect_uri(settings),
        "scope": "openid", "state": "s", "nonce": "n", "code_challenge": "c" * 43, "code_challenge_method": "S256",
    })


def test_the_session_cookie_is_secure_httponly_lax_and_holds_no_personal_data(browser, settings, web_session) -> None:  # type: ignore[no-untyped-def]
    import base64
    import json

    cookie = _login_page(browser, settings).headers["set-cookie"]
    flags = {part.strip().lower() for part in cookie.split(";")}
    assert {"httponly", "secure", "samesite=lax", "path=/"} <= flags
    payload = cookie.split("=", 1)[1].split(".")[0]
    # Before signing in: only the random key that the page's form token is made from.
    assert set(json.loads(base64.b64decode(payload + "=" * (-len(payload) % 4)))) == {"form_key"}
    # Signed in (as the sign-in pages make it; see test_sign_in for the real flow): id and session id.
    cookies, _ = web_session("sarah.clarke")
    payload = next(iter(cookies.values())).split(".")[0]
    assert set(json.loads(base64.b64decode(payload))) == {"user_id", "sid", "form_key"}


def test_a_tampered_session_cookie_signs_no_one_in(browser, web_session) -> None:  # type: ignore[no-untyped-def]
    import base64
    import json

    cookies, _ = web_session("david.clarke")
    (name, value), = cookies.items()
    payload, *signature = value.split(".")
    session = json.loads(base64.b64decode(payload))
    session["user_id"] = session["user_id"].replace(session["user_id"][:8], "00000000")
    forged = base64.b64encode(json.dumps(session).encode()).decode() + "." + ".".join(signature)
    browser.cookies = {name: forged}
    assert browser.get("/account", follow_redirects=False).status_code == 303


def test_pages_send_signed_out_visitors_to_sign_in_and_back(browser) -> None:  # type: ignore[no-untyped-def]
    response = browser.get("/account?x=1", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/sign-in?next=%2Faccount%3Fx%3D1"


def test_the_cookie_is_not_secure_only_in_development(settings: Settings) -> None:
    development = Settings(**{**settings.model_dump(), "environment": "development"})
    app = create_app(development)
    try:
        with TestClient(app) as client:
            cookie = _login_page(client, development).headers["set-cookie"].lower()
            assert "secure" not in cookie and "httponly" in cookie
    finally:
        app.state.database.dispose()
