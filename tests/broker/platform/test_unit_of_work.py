"""The request's unit of work commits before the response is sent."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.testclient import TestClient

from broker.accounts.models import User
from broker.platform.db import SessionDep


def test_a_change_that_fails_to_commit_is_not_reported_as_done(app) -> None:  # type: ignore[no-untyped-def]
    router = APIRouter()

    @router.post("/api/v1/test-duplicate-user")
    def add_duplicates(session: SessionDep) -> dict[str, str]:
        # Two accounts with one username: nothing fails until the commit flushes them.
        session.add(User(username="same", display_name="a", role="admin"))
        session.add(User(username="same", display_name="b", role="admin"))
        return {"status": "done"}

    app.include_router(router)
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.post("/api/v1/test-duplicate-user")
    assert response.status_code == 500
    assert "done" not in response.text
