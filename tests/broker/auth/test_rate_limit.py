"""Sign-in and token endpoints are rate limited per client address."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from broker.app import create_app
from broker.auth.rate_limit import RateLimiter
from broker.platform.settings import Settings


def test_the_limiter_allows_the_limit_then_says_how_long_to_wait() -> None:
    now = [1000.0]
    limiter = RateLimiter(3, 60, clock=lambda: now[0])
    assert [limiter.hit("a") for _ in range(3)] == [None, None, None]
    assert limiter.hit("a") == pytest.approx(60)
    assert limiter.hit("b") is None
    now[0] += 30
    assert limiter.hit("a") == pytest.approx(30)
    now[0] += 30.5
    assert limiter.hit("a") is None


@pytest.mark.usefixtures("demo")
def test_the_token_endpoint_answers_429_with_retry_after(settings: Settings) -> None:
    limited = Settings(**{**settings.model_dump(), "sign_in_rate_limit_per_minute": 3})
    app = create_app(limited)
    try:
        with TestClient(app) as client:
            statuses = [client.post("/dev-idp/token", data={"grant_type": "client_credentials"}).status_code
                        for _ in range(4)]
            assert statuses == [401, 401, 401, 429]
            refused = client.post("/dev-idp/token", data={})
            assert refused.status_code == 429 and 1 <= int(refused.headers["retry-after"]) <= 60
            assert client.get("/sign-in/development", follow_redirects=False).status_code == 429
            # Other endpoints are not affected.
            assert client.get("/healthz").status_code == 200
    finally:
        app.state.database.dispose()
