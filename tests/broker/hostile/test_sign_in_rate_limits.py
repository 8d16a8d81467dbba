"""Every sign-in and token endpoint is rate limited per client address, and nothing else is."""

from __future__ import annotations

import re
import uuid

import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient

from broker.app import create_app
from broker.auth.rate_limit import limit_sign_in
from broker.platform.settings import Settings

LIMIT = 3
# The endpoints that take a credential or start a sign-in, and must be limited.
MUST_BE_LIMITED = {("GET", "/dev-idp/authorize"), ("POST", "/dev-idp/authorize"), ("POST", "/dev-idp/token"),
                   ("GET", "/sign-in/{provider_name}"), ("GET", "/auth/callback/{provider_name}")}


def _limited_routes(app: FastAPI) -> set[tuple[str, str]]:
    found = set()
    for route in iter_route_contexts(app.routes):
        dependant = getattr(route, "dependant", None)
        if dependant is None:
            continue
        if any(d.call is limit_sign_in for d in dependant.dependencies):
            found |= {(m, route.path) for m in route.methods or () if m != "HEAD"}
    return found


@pytest.fixture
def limited_app(settings: Settings, demo: None) -> FastAPI:  # type: ignore[misc]
    app = create_app(Settings(**{**settings.model_dump(), "sign_in_rate_limit_per_minute": LIMIT}))
    yield app
    app.state.database.dispose()


def test_every_sign_in_and_token_endpoint_has_the_limit(limited_app: FastAPI) -> None:
    assert _limited_routes(limited_app) == MUST_BE_LIMITED


@pytest.mark.parametrize(("method", "path"), sorted(MUST_BE_LIMITED))
def test_each_is_refused_with_429_after_the_limit(limited_app: FastAPI, method: str, path: str) -> None:
    url = re.sub(r"\{[^}]+\}", "development", path)
    with TestClient(limited_app, base_url="https://testserver") as client:
        statuses = [client.request(method, url, data={"x": "1"} if method == "POST" else None,
                                   follow_redirects=False).status_code for _ in range(LIMIT + 1)]
        assert all(s != 429 for s in statuses[:LIMIT]) and statuses[LIMIT] == 429, statuses
        refused = client.request(method, url, follow_redirects=False)
        assert refused.status_code == 429
        assert 1 <= int(refused.headers["retry-after"]) <= 60
        assert refused.headers["x-frame-options"] == "DENY"
    with TestClient(limited_app, base_url="https://testserver", client=("192.0.2.7", 50000)) as other:
        assert other.request(method, url, follow_redirects=False).status_code != 429


def test_guessing_client_secrets_is_slowed(limited_app: FastAPI) -> None:
    with TestClient(limited_app) as client:
        answers = [client.post("/dev-idp/token", data={"grant_type": "client_credentials", "client_id": "education.system",
                                                       "client_secret": uuid.uuid4().hex}).status_code
                   for _ in range(LIMIT + 5)]
    assert answers[:LIMIT] == [401] * LIMIT
    assert set(answers[LIMIT:]) == {429}


def test_pages_and_the_api_are_not_limited(limited_app: FastAPI) -> None:
    with TestClient(limited_app, base_url="https://testserver") as client:
        for _ in range(LIMIT + 2):
            client.get("/sign-in/development", follow_redirects=False)
        assert client.get("/", follow_redirects=False).status_code == 200
        assert client.get("/sign-in", follow_redirects=False).status_code == 200
        assert client.get("/api/v1/me").status_code == 401
