"""Steps the gathering tests take against the served broker, as Leo's caseworkers and his mother
would over real HTTP, and what they read back from the database."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

import httpx
from sqlalchemy import func, select

from broker.dev.demo import _principal, demo_id
from broker.gathering.models import GatheredItem
from broker.permissions import consent_actions
from broker.platform.db import Database
from consent.schemas import ConsentWithdraw

LEO = str(demo_id("person:leo"))


def org(code: str) -> str:
    return str(demo_id("org:" + code))


def call(method: str, url: str, headers: dict[str, str], **kwargs: object) -> httpx.Response:
    return httpx.request(method, url, headers=headers, timeout=60, **kwargs)  # type: ignore[arg-type]


def grant(served: str, emma: dict[str, str], purpose: str, categories: list[str], holder: str, recipient: str) -> str:
    """Leo's mother permits ``categories`` from ``holder`` to ``recipient``; the permission's id."""
    response = call("POST", f"{served}/api/v1/consents", emma, json={
        "subject_id": LEO, "basis": "confidentiality",
        "scope": [{"data_category": c, "purpose": purpose, "holder_organisation_id": org(holder),
                   "recipient_organisation_id": org(recipient)} for c in categories]})
    assert response.status_code == 201, response.text
    return response.json()["id"]


def open_case(served: str, sen: dict[str, str]) -> str:
    """Link Leo's records in the three simulated systems and open his EHC needs assessment; its id."""
    assert call("POST", f"{served}/api/v1/identity-links/discover", sen, json={"person_id": LEO}).status_code == 200
    case = call("POST", f"{served}/api/v1/assessments", sen, json={
        "subject_id": LEO, "purpose": "EHC_NEEDS_ASSESSMENT", "received_on": str(date.today() - timedelta(days=3))})
    assert case.status_code == 201, case.text
    return case.json()["id"]


def gather(served: str, headers: dict[str, str], case_id: str, categories: list[str]) -> httpx.Response:
    return call("POST", f"{served}/api/v1/assessments/{case_id}/gather", headers, json={"categories": categories})


def by_source(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["source_system"]: s for s in result["sources"]}


def withdraw(database: Database, consent_id: str) -> None:
    """Leo's mother withdraws a permission, committed straight through the service (no request)."""
    with database.unit_of_work() as session:
        consent_actions.withdraw(session, _principal(session, "emma.walsh"), uuid.UUID(consent_id),
                                 ConsentWithdraw(reason="Changed my mind"))


def stored_items(database: Database) -> int:
    with database.sessions() as session:
        return session.scalar(select(func.count()).select_from(GatheredItem)) or 0


def assert_ep_advice_withheld(answer: httpx.Response, database: Database) -> None:
    """The gather answered, released no EP advice, withheld it, and stored nothing."""
    assert answer.status_code == 200, answer.text
    ep = by_source(answer.json())["educational_psychology"]
    assert ep["released"] == [] and [w["category"] for w in ep["withheld"]] == ["EP_ADVICE"]
    assert stored_items(database) == 0
