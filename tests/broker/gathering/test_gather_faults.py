"""Faults while gathering: a withdrawal racing a gather, a source down, bad input."""

from __future__ import annotations

import asyncio
import threading
import uuid
from datetime import date, timedelta

import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from adapters.errors import SourceFailure
from audit.models import AuditEntry
from broker import consent_actions
from broker.demo import _principal
from broker.gathering.models import GatheredItem
from consent.schemas import ConsentWithdraw
from tests.broker.gathering.test_gather_flow import LEO, by_source, call, grant


def _case(served: str, sen: dict[str, str]) -> str:
    assert call("POST", f"{served}/api/v1/identity-links/discover", sen, json={"person_id": LEO}).status_code == 200
    case = call("POST", f"{served}/api/v1/assessments", sen, json={
        "subject_id": LEO, "purpose": "EHC_NEEDS_ASSESSMENT", "received_on": str(date.today() - timedelta(days=3))})
    assert case.status_code == 201, case.text
    return case.json()["id"]


def _stored(database) -> int:  # type: ignore[no-untyped-def]
    with database.sessions() as session:
        return session.scalar(select(func.count()).select_from(GatheredItem)) or 0


def test_a_withdrawal_committed_during_a_gather_releases_nothing_after_it(
    served: str, app: FastAPI, auth_headers, database, monkeypatch: pytest.MonkeyPatch,
) -> None:  # type: ignore[no-untyped-def]
    sen, emma = auth_headers("sen.caseworker"), auth_headers("emma.walsh")
    consent_id = grant(served, emma, "EHC_NEEDS_ASSESSMENT", ["EP_ADVICE"], "NCC-EPS", "NCC-SEN")
    case_id = _case(served, sen)
    adapter = app.state.adapters.get("educational_psychology")
    original = adapter.fetch
    withdrawn = threading.Event()

    def withdraw() -> None:
        with database.unit_of_work() as session:
            consent_actions.withdraw(session, _principal(session, "emma.walsh"), uuid.UUID(consent_id),
                                     ConsentWithdraw(reason="Changed my mind"))
        withdrawn.set()

    async def fetch_while_withdrawing(*args, **kwargs):  # type: ignore[no-untyped-def]
        items = await original(*args, **kwargs)
        # The source has answered; the family's withdrawal commits before the broker stores anything.
        await asyncio.to_thread(withdraw)
        return items

    monkeypatch.setattr(adapter, "fetch", fetch_while_withdrawing)
    response = call("POST", f"{served}/api/v1/assessments/{case_id}/gather", sen, json={"categories": ["EP_ADVICE"]})
    assert response.status_code == 200, response.text
    assert withdrawn.is_set(), response.text
    ep = by_source(response.json())["educational_psychology"]
    assert ep["released"] == [] and [w["category"] for w in ep["withheld"]] == ["EP_ADVICE"]
    assert _stored(database) == 0
    with database.sessions() as session:
        disclosed = session.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.event_type == "records.disclosed"))
    assert disclosed == 0


def test_a_source_down_gives_a_partial_result_and_a_retry_fills_the_gap(
    served: str, app: FastAPI, auth_headers, database, monkeypatch: pytest.MonkeyPatch,
) -> None:  # type: ignore[no-untyped-def]
    sen, emma = auth_headers("sen.caseworker"), auth_headers("emma.walsh")
    grant(served, emma, "EHC_NEEDS_ASSESSMENT", ["EP_ADVICE"], "NCC-EPS", "NCC-SEN")
    grant(served, emma, "EHC_NEEDS_ASSESSMENT", ["SC_ASSESSMENT"], "NCC-CSC", "NCC-SEN")
    case_id = _case(served, sen)
    adapter = app.state.adapters.get("social_care")
    original = adapter.fetch

    async def down(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise SourceFailure("social_care", "unavailable", "the system did not answer")

    monkeypatch.setattr(adapter, "fetch", down)
    body = {"categories": ["EP_ADVICE", "SC_ASSESSMENT"]}
    first = call("POST", f"{served}/api/v1/assessments/{case_id}/gather", sen, json=body).json()
    sources = by_source(first)
    assert sources["social_care"]["status"] == "down" and sources["social_care"]["released"] == []
    assert sources["social_care"]["reason"] == "the system did not answer"
    assert sources["educational_psychology"]["status"] == "ok" and sources["educational_psychology"]["released"]
    assert first["complete"] is False
    partial = _stored(database)

    monkeypatch.setattr(adapter, "fetch", original)
    second = call("POST", f"{served}/api/v1/assessments/{case_id}/gather", sen, json=body).json()
    sources = by_source(second)
    new_sc = [i for i in sources["social_care"]["released"] if i["newly_gathered"]]
    assert sources["social_care"]["status"] == "ok" and new_sc
    assert not any(i["newly_gathered"] for i in sources["educational_psychology"]["released"])
    assert _stored(database) == partial + len(new_sc) and second["complete"] is True


def test_bad_input_is_a_clear_4xx_and_changes_nothing(served: str, auth_headers, database) -> None:  # type: ignore[no-untyped-def]
    sen = auth_headers("sen.caseworker")
    case_id = _case(served, sen)
    unknown = call("POST", f"{served}/api/v1/assessments/{case_id}/gather", sen, json={"categories": ["NOPE"]})
    assert unknown.status_code == 422 and "NOPE" in unknown.json()["detail"]
    only_tier3 = call("POST", f"{served}/api/v1/assessments/{case_id}/gather", sen, json={"categories": ["SAFEGUARDING"]})
    assert only_tier3.status_code == 422
    missing = call("POST", f"{served}/api/v1/assessments/00000000-0000-0000-0000-000000000000/gather", sen, json={})
    assert missing.status_code == 404
    family = call("POST", f"{served}/api/v1/assessments/{case_id}/gather", auth_headers("emma.walsh"), json={})
    assert family.status_code == 403
    other_org = call("GET", f"{served}/api/v1/assessments/{case_id}/bundle", auth_headers("sc.caseworker"))
    assert other_org.status_code == 404
    wrong_purpose = call("POST", f"{served}/api/v1/record-requests", auth_headers("sc.caseworker"),
                         json={"subject_id": LEO, "purpose": "EHC_NEEDS_ASSESSMENT", "categories": ["SC_ASSESSMENT"]})
    assert wrong_purpose.status_code == 403
    assert _stored(database) == 0
