"""Signing in through a certified OpenID Connect provider no one here wrote: panva's
oidc-provider from the npm registry, in its standard configuration (tests/support/oidc_provider.mjs).

Its ID tokens carry only the standard claims, so the broker reads the username from UserInfo; its
keys are found through its discovery document; its API access tokens are JWTs typed at+jwt for the
broker's API as a resource server.  The broker is configured exactly as the README's identity
provider section says, through the same environment variables.  A staff account is bound by its
username at first sign-in, a family account by its subject beforehand, both with ``broker
accounts``; the person drives the provider's own login and consent pages over real HTTP.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx
import pytest

from broker.platform.settings import Settings
from tests.support import oidc_provider
from tests.support.oidc_provider import (
    API_CLIENT_ID,
    API_REDIRECT_URI,
    CLIENT_SECRET,
    FAMILY_SUBJECT,
    STAFF_SUBJECT,
    RunningProvider,
)

pytestmark = pytest.mark.usefixtures("demo")


@pytest.fixture
def provider_and_broker(settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                        broker_cli: Callable[..., Any]) -> Iterator[tuple[RunningProvider, str]]:
    with oidc_provider.provider_and_broker(settings, tmp_path, monkeypatch, broker_cli) as running:
        yield running

def _attribute(tag: str, name: str) -> str | None:
    found = re.search(rf'\s{name}="([^"]*)"', tag)
    return html.unescape(found.group(1)) if found else None


def _form(page: httpx.Response) -> tuple[str, dict[str, str]]:
    """The first form of a page, sent as a person pressing its first button would send it:
    where it posts, and its fields (a button may sit outside the form it submits, ``form="id"``)."""
    found = re.search(r"(<form[^>]*>)(.*?)</form>", page.text, re.S)
    assert found, f"no form on {page.url}:\n{page.text[:500]}"
    opening, body = found.groups()
    fields = {}
    for tag in re.findall(r"<input[^>]*>", body):
        if (name := _attribute(tag, "name")) is not None:
            fields[name] = _attribute(tag, "value") or ""
    form_id = _attribute(opening, "id")
    buttons = re.findall(r"<button[^>]*>", body) + [
        tag for tag in re.findall(r"<button[^>]*>", page.text) if form_id and _attribute(tag, "form") == form_id]
    if buttons and (name := _attribute(buttons[0], "name")) is not None:
        fields[name] = _attribute(buttons[0], "value") or ""
    return urljoin(str(page.url), _attribute(opening, "action") or ""), fields


def _through_the_provider(browser: httpx.Client, page: httpx.Response, provider: RunningProvider,
                          login: str | None) -> httpx.Response:
    """Answer the provider's login and consent pages as the person would, until it lets go."""
    for _ in range(4):
        if not str(page.url).startswith(provider.issuer) or "<form" not in page.text:
            return page
        action, fields = _form(page)
        if "login" in fields:
            assert login is not None, "the provider asked to sign in again"
            fields.update(login=login, password="any password")
        page = browser.post(action, data=fields)
    return page


def _sign_in(browser: httpx.Client, provider: RunningProvider, audience: str, login: str) -> httpx.Response:
    start = browser.get(f"/sign-in/{audience}", params={"next": "/account"})
    assert start.url.path.startswith("/interaction/"), "the provider's login page"
    return _through_the_provider(browser, start, provider, login)


def _sign_out(browser: httpx.Client, provider: RunningProvider) -> httpx.Response:
    account = browser.get("/account")
    action, fields = next((a, f) for a, f in [_form(account)] if a.endswith("/sign-out"))
    confirm = browser.post(action, data=fields)
    assert str(confirm.url).startswith(provider.issuer + "/session/end"), "the provider asks to sign out too"
    return _through_the_provider(browser, confirm, provider, None)


def _api_access_token(browser: httpx.Client, provider: RunningProvider, base_url: str) -> dict[str, str]:
    """An access token for the broker's API, as a case management system gets one for the person
    signed in at the provider: the authorization code flow with PKCE and the API as resource."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    redirect_uri = API_REDIRECT_URI
    response = browser.get(f"{provider.issuer}/auth", params={
        "client_id": API_CLIENT_ID, "response_type": "code", "scope": "openid broker", "redirect_uri": redirect_uri,
        "state": "s1", "nonce": "n1", "code_challenge": challenge, "code_challenge_method": "S256",
        "resource": f"{base_url}/api"}, follow_redirects=False)
    for _ in range(8):
        location = response.headers.get("location", "")
        if location.startswith(redirect_uri):
            break
        if response.is_redirect:
            response = browser.get(urljoin(str(response.url), location), follow_redirects=False)
            continue
        action, fields = _form(response)
        response = browser.post(action, data=fields, follow_redirects=False)
    code = parse_qs(urlsplit(response.headers["location"]).query)["code"][0]
    tokens = httpx.post(f"{provider.issuer}/token", auth=(API_CLIENT_ID, CLIENT_SECRET), data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri, "code_verifier": verifier,
        "resource": f"{base_url}/api"})
    assert tokens.status_code == 200, tokens.text
    return tokens.json()  # type: ignore[no-any-return]


def _header(token: str) -> dict[str, object]:
    part = token.split(".")[0]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))  # type: ignore[no-any-return]


def test_staff_sign_in_by_username_api_tokens_and_sign_out_through_the_provider(provider_and_broker, broker_cli) -> None:  # type: ignore[no-untyped-def]
    provider, base_url = provider_and_broker
    with httpx.Client(base_url=base_url, follow_redirects=True, timeout=10) as browser:
        landed = _sign_in(browser, provider, "staff", STAFF_SUBJECT)
        assert landed.url == f"{base_url}/account" and "Sam Okafor" in landed.text
        # Found by the username from UserInfo, then bound to the provider's subject.
        listed = {a["username"]: a for a in map(json.loads, broker_cli("accounts", "list", "--json").output.splitlines())}
        assert listed["sen.caseworker"]["external_subject"] == STAFF_SUBJECT

        tokens = _api_access_token(browser, provider, base_url)
        assert _header(tokens["access_token"])["typ"] == "at+jwt"
        me = httpx.get(f"{base_url}/api/v1/me", headers={"Authorization": f"Bearer {tokens['access_token']}"})
        assert me.status_code == 200 and me.json()["username"] == "sen.caseworker"
        # The ID token of the same sign-in is no access token.
        refused = httpx.get(f"{base_url}/api/v1/me", headers={"Authorization": f"Bearer {tokens['id_token']}"})
        assert refused.status_code == 401

        signed_out = _sign_out(browser, provider)
        assert signed_out.url == f"{base_url}/signed-out"
        # On a shared computer, "sign in again" asks the provider's login page, not the last person's session.
        again = browser.get("/sign-in/staff")
        assert again.url.path.startswith("/interaction/") and 'name="login"' in again.text

        # Switched off: refused at sign-in (saying why) and on its token.
        assert broker_cli("accounts", "disable", "sen.caseworker", "--reason", "left the council").exit_code == 0
        page = _through_the_provider(browser, again, provider, STAFF_SUBJECT)
        assert page.status_code == 403 and "the account is disabled" in page.text
        me = httpx.get(f"{base_url}/api/v1/me", headers={"Authorization": f"Bearer {tokens['access_token']}"})
        assert me.status_code == 401


def test_a_family_account_bound_by_subject_signs_in(provider_and_broker) -> None:  # type: ignore[no-untyped-def]
    provider, base_url = provider_and_broker
    with httpx.Client(base_url=base_url, follow_redirects=True, timeout=10) as browser:
        landed = _sign_in(browser, provider, "families", FAMILY_SUBJECT)
        assert landed.url == f"{base_url}/account" and "Priya Bennett" in landed.text


def test_who_has_no_account_is_told_what_was_looked_for(provider_and_broker) -> None:  # type: ignore[no-untyped-def]
    provider, base_url = provider_and_broker
    with httpx.Client(base_url=base_url, follow_redirects=True, timeout=10) as browser:
        # Families are found by subject only: the staff member's subject is bound to no account.
        refused = _sign_in(browser, provider, "families", STAFF_SUBJECT)
        assert refused.status_code == 403 and "no account is bound to this provider&#39;s issuer and subject (claim &#39;sub&#39;)" in refused.text
    with httpx.Client(base_url=base_url, follow_redirects=True, timeout=10) as browser:
        # The staff sign-in never reaches a family account.
        refused = _sign_in(browser, provider, "staff", FAMILY_SUBJECT)
        assert refused.status_code == 403 and "not one the staff sign-in may sign in" in refused.text
