"""Numbers too large for the database's integers are the caller's error (4xx), never a 500.
(Found by the schema fuzzing: an unbounded offset overflowed SQLite's 64-bit integers.)"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

HUGE = str(2**70)


@pytest.mark.parametrize(("method", "path", "username"), [
    ("GET", f"/api/v1/identity-links/reviews?offset={HUGE}", "sen.caseworker"),
    ("GET", f"/api/v1/audit/events/{HUGE}", "ig.auditor"),
    ("POST", f"/api/v1/audit/events/{HUGE}/release", "ig.auditor"),
    ("GET", f"/api/v1/audit/proofs/inclusion?index={HUGE}&tree_size={HUGE}", "ig.auditor"),
    ("GET", f"/api/v1/audit/proofs/consistency?first=1&second={HUGE}", "ig.auditor"),
    ("GET", f"/api/v1/audit/events?limit=10&cursor={HUGE}", "ig.auditor"),
])
def test_a_huge_number_is_refused_not_a_server_error(
    client: TestClient, auth_headers, method: str, path: str, username: str,  # type: ignore[no-untyped-def]
) -> None:
    response = client.request(method, path, headers=auth_headers(username))
    assert 400 <= response.status_code < 500, response.text
    assert response.headers["content-type"] == "application/problem+json"
