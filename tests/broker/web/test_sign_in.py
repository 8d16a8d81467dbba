"""Signing in to the pages over real HTTP: the broker served by uvicorn on a free port, driven by
httpx through the OpenID Connect authorization code flow with PKCE against the development
provider, then signing out with the CSRF-protected form."""

from __future__ import annotations

import base64
import html
import json
import re
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn

from broker.app import create_app
from broker.auth.sessions import SESSION_COOKIE
from broker.dev.demo import demo_id, seed
from broker.platform.settings import Settings


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def live_broker(database_url: str, tmp_path: Path, development_keys: Path) -> Iterator[Settings]:
    """The broker in development mode, listening on a free port, its public URL pointing at itself."""
    port = _free_port()
    data_dir = tmp_path / "live"
    shutil.copytree(development_keys, data_dir / "keys")
    settings = Settings(
        environment="development", database_url=database_url, data_dir=data_dir,
        public_url=f"http://127.0.0.1:{port}",
    )
    app = create_app(settings)
    with app.state.database.unit_of_work() as session:
        seed(session)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "the broker did not start"
        time.sleep(0.05)
    yield settings
    server.should_exit = True
    thread.join(timeout=10)
    app.state.database.dispose()


def _forms(page: str) -> list[dict[str, str]]:
    return [
        {k: html.unescape(v) for k, v in re.findall(r'name="([^"]+)" value="([^"]*)"', form)}
        for form in re.findall(r"<form.*?</form>", page, re.S)
    ]


def _sign_in(browser: httpx.Client, username: str, next_page: str = "/account") -> httpx.Response:
    login_page = browser.get("/sign-in/development", params={"next": next_page})
    assert login_page.status_code == 200
    assert login_page.url.path == "/dev-idp/authorize"
    assert login_page.url.params["code_challenge_method"] == "S256"
    assert login_page.url.params["nonce"]
    form = next(f for f in _forms(login_page.text) if f.get("username") == username)
    return browser.post("/dev-idp/authorize", data=form)


def _session_cookie(browser: httpx.Client) -> dict[str, object]:
    value = browser.cookies[SESSION_COOKIE]
    payload = value.split(".")[0]
    return json.loads(base64.b64decode(payload + "=" * (-len(payload) % 4)))


def test_a_parent_signs_in_and_out_over_http(live_broker: Settings) -> None:
    with httpx.Client(base_url=live_broker.public_url, follow_redirects=True) as browser:
        start = browser.get("/account")
        assert start.url.path == "/sign-in" and start.url.params["next"] == "/account"
        assert "/sign-in/development" in start.text

        landed = _sign_in(browser, "sarah.clarke")
        assert landed.status_code == 200 and landed.url.path == "/account"
        assert "Sarah Clarke" in landed.text
        assert [r.url.path for r in landed.history] == ["/dev-idp/authorize", "/auth/callback/development"]

        session = _session_cookie(browser)
        # The account id, the session id, the random key form tokens are made from and the name of
        # the provider signed in through (to sign out there too); nothing else.
        assert set(session) == {"user_id", "sid", "form_key", "provider"}
        assert session["provider"] == "development"
        assert session["user_id"] == str(demo_id("user:sarah.clarke"))
        set_cookie = landed.history[-1].headers["set-cookie"].lower()
        assert "httponly" in set_cookie and "samesite=lax" in set_cookie
        assert "secure" not in set_cookie  # development only: plain HTTP on the developer's machine

        refused = browser.post("/sign-out", data={})
        assert refused.status_code == 403
        assert browser.get("/account").url.path == "/account"

        sign_out_form = next(f for f in _forms(browser.get("/account").text) if "form_token" in f)
        done = browser.post("/sign-out", data=sign_out_form, headers={"Origin": live_broker.public_url})
        assert done.url.path == "/signed-out"
        assert browser.get("/account").url.path == "/sign-in"


def test_sign_in_returns_to_the_page_asked_for_and_never_to_another_site(live_broker: Settings) -> None:
    with httpx.Client(base_url=live_broker.public_url, follow_redirects=True) as browser:
        landed = _sign_in(browser, "sen.caseworker", next_page="/account?tab=1")
        assert landed.url.path == "/account" and landed.url.params["tab"] == "1"
    with httpx.Client(base_url=live_broker.public_url, follow_redirects=True) as browser:
        landed = _sign_in(browser, "sen.caseworker", next_page="//evil.example/")
        assert landed.url.host == "127.0.0.1" and landed.url.path == "/account"


def test_a_callback_without_the_sign_in_that_started_it_is_refused(live_broker: Settings) -> None:
    with httpx.Client(base_url=live_broker.public_url, follow_redirects=True) as victim:
        login_page = victim.get("/sign-in/development")
        form = next(f for f in _forms(login_page.text) if f.get("username") == "admin")
        callback = victim.post("/dev-idp/authorize", data=form, follow_redirects=False).headers["location"]
    # Someone else's browser, handed the callback address (login CSRF): no session state, no sign-in.
    with httpx.Client(base_url=live_broker.public_url, follow_redirects=False) as attacker:
        response = attacker.get(callback)
        assert response.status_code == 422
        assert SESSION_COOKIE not in attacker.cookies or "user_id" not in _session_cookie(attacker)


@pytest.mark.usefixtures("demo")
def test_an_unreachable_identity_provider_is_a_503_page_not_a_crash(settings: Settings) -> None:
    from fastapi.testclient import TestClient

    nowhere = Settings(**{**settings.model_dump(), "public_url": f"http://127.0.0.1:{_free_port()}"})
    app = create_app(nowhere)
    try:
        with TestClient(app, base_url="https://testserver") as client:
            response = client.get("/sign-in/development", follow_redirects=False)
            assert response.status_code == 503
            assert "cannot be reached" in response.text
    finally:
        app.state.database.dispose()
