"""Every HTML page, including pages added later, carries the strict headers and satisfies the
Content-Security-Policy it is sent with: nothing inline but the hashed GOV.UK snippet, nothing
loaded from elsewhere.  Pages are found by walking the application's routes."""

from __future__ import annotations

import base64
import hashlib
import re
import uuid
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from broker.dev.demo import demo_id
from tests.broker.api.test_endpoint_access import A_USER_OF, endpoints
from tests.broker.known_ids import ids_of_subject

# Pages with a policy of their own, tested where they are built.
OWN_POLICY = {"/api/docs": "Swagger UI, tests/broker/web/test_security_headers.py"}
INLINE_SCRIPT = re.compile(rb"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", re.DOTALL | re.IGNORECASE)
LOADED = re.compile(rb"<(?:script|img|iframe|link|source|embed|object)\b[^>]*\b(?:src|href|data)=\"([^\"]*)\"", re.IGNORECASE)
EVENT_HANDLER = re.compile(rb"<[^>]+\son[a-z]+\s*=", re.IGNORECASE)


def _directives(policy: str) -> dict[str, list[str]]:
    return {d.split()[0]: d.split()[1:] for d in (part.strip() for part in policy.split(";")) if d}


def _pages(app: FastAPI) -> Iterator[tuple[str, str | None]]:
    """(path, the account to view it as) for every GET route that is not the JSON API."""
    for endpoint in endpoints(app):
        if endpoint.method != "GET" or endpoint.path.startswith(("/api/", "/simulators/")) or endpoint.path in OWN_POLICY:
            continue
        viewer = None
        if endpoint.roles:
            viewer = "sarah.clarke" if any(r.value == "family" for r in endpoint.roles) else A_USER_OF[min(endpoint.roles)]
        yield endpoint.path, viewer


def _fill(path: str, ids: dict[str, str]) -> str:
    return re.sub(r"\{([^}:]+)(?::[^}]*)?\}", lambda m: ids.get(m.group(1), str(uuid.uuid4())), path)


def assert_strict(response, path: str) -> None:  # type: ignore[no-untyped-def]
    headers = response.headers
    where = f"{path} ({response.status_code})"
    assert headers["x-frame-options"] == "DENY", where
    assert headers["x-content-type-options"] == "nosniff", where
    assert headers["referrer-policy"] == "no-referrer", where
    assert headers["cache-control"] == "no-store", where
    assert headers["strict-transport-security"].startswith("max-age=31536000"), where
    policy = headers["content-security-policy"]
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy and "*" not in policy, where
    directives = _directives(policy)
    assert directives["default-src"] == ["'none'"], where
    assert directives["frame-ancestors"] == ["'none'"], where
    assert directives["object-src"] == ["'none'"] and directives["base-uri"] == ["'none'"], where
    assert directives["style-src"] == ["'self'"], where
    assert all(s == "'self'" or s.startswith("'sha256-") for s in directives["script-src"]), where
    if not headers.get("content-type", "").startswith("text/html"):
        return
    body = response.content
    for script in INLINE_SCRIPT.findall(body):
        digest = "'sha256-" + base64.b64encode(hashlib.sha256(script).digest()).decode() + "'"
        assert digest in directives["script-src"], f"{where}: an inline script the policy does not allow"
    assert b" style=" not in body and b"<style" not in body, f"{where}: inline style"
    assert not EVENT_HANDLER.search(body), f"{where}: an inline event handler"
    assert b"javascript:" not in body, f"{where}: a javascript: URL"
    for url in LOADED.findall(body):
        assert not re.match(rb"^(https?:)?//", url) or url.startswith(b"https://testserver/"), f"{where}: loads {url!r}"


@pytest.fixture
def ids(database, demo) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return ids_of_subject(database.engine, demo_id("person:amelia"))


def test_every_page_carries_the_strict_headers_and_satisfies_its_policy(
    app: FastAPI, web_session, ids: dict[str, str],  # type: ignore[no-untyped-def]
) -> None:
    answered = {}
    for path, viewer in _pages(app):
        with TestClient(app, base_url="https://testserver") as client:
            if viewer:
                client.cookies = web_session(viewer)[0]
            response = client.get(_fill(path, ids), follow_redirects=False)
        assert_strict(response, path)
        answered[path] = response.status_code
    assert len(answered) >= 20
    assert sum(status == 200 for status in answered.values()) >= 12, answered


@pytest.mark.parametrize("path", ["/no-such-page", "/children/not-a-uuid", "/family/" + str(uuid.uuid4())])
def test_error_pages_carry_the_strict_headers_too(app: FastAPI, web_session, path: str) -> None:  # type: ignore[no-untyped-def]
    with TestClient(app, base_url="https://testserver") as client:
        client.cookies = web_session("sarah.clarke")[0]
        response = client.get(path, follow_redirects=False)
    assert response.status_code >= 400
    assert_strict(response, path)
