"""When the database cannot be reached, or no pooled connection frees up in time, callers are
told to retry: 503 problem+json with ``Retry-After``, and nothing of the error in the answer."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout


@pytest.mark.parametrize("error", [
    OperationalError("SELECT 1", {}, ConnectionRefusedError("connection refused on port 5432")),
    PoolTimeout("QueuePool limit of size 10 overflow 10 reached, connection timed out"),
])
def test_an_unreachable_database_answers_503_with_retry_after(client: TestClient, auth_headers, error: Exception) -> None:  # type: ignore[no-untyped-def]
    headers = auth_headers("sarah.clarke")

    def unreachable() -> None:
        raise error

    client.app.state.database.sessions = unreachable  # type: ignore[attr-defined]
    response = client.get("/api/v1/me", headers=headers)
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["retry-after"] == "5"
    assert "5432" not in response.text and "QueuePool" not in response.text
