"""The draft plan on the API: the final plan follows a draft and the family's 15 days (reg 13(1));
a notice of no plan cannot follow a draft."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from broker.dev.demo import demo_id
from broker.platform.clock import council_today

pytestmark = pytest.mark.usefixtures("demo")

AMELIA_CASE = demo_id("assessment:amelia")


def _step(client: TestClient, headers: dict[str, str], step: str, days_ago: int):  # type: ignore[no-untyped-def]
    return client.post(f"/api/v1/assessments/{AMELIA_CASE}/steps", headers=headers, json={
        "step": step, "completed_on": (council_today() - timedelta(days=days_ago)).isoformat()})


def test_the_final_plan_needs_a_draft_first(client: TestClient, auth_headers) -> None:  # type: ignore[no-untyped-def]
    response = _step(client, auth_headers("sen.caseworker"), "final_plan", 0)
    assert response.status_code == 409 and "draft plan first" in response.json()["detail"]


def test_the_final_plan_may_follow_the_familys_15_days(client: TestClient, auth_headers) -> None:  # type: ignore[no-untyped-def]
    sen = auth_headers("sen.caseworker")
    assert _step(client, sen, "draft_plan", 20).status_code == 200
    assert _step(client, sen, "draft_plan", 19).status_code == 409
    assert _step(client, sen, "final_plan", 5).status_code == 422  # day 15 of the family's time
    assert _step(client, sen, "notice_of_no_plan", 0).status_code == 409
    done = _step(client, sen, "final_plan", 4)
    assert done.status_code == 200
    body = done.json()
    assert body["status"] == "closed" and body["final_plan_on"] == (council_today() - timedelta(days=4)).isoformat()
    clocks = {c["kind"]: c for c in body["clocks"]}
    assert clocks["final_plan"]["status"] in ("met", "late")
