"""Faults while gathering: a withdrawal racing a gather, a source down, bad input."""

from __future__ import annotations

import asyncio
import threading

import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from adapters.errors import SourceFailure
from audit.models import AuditEntry
from tests.broker.gathering.leos_case import (
    LEO,
    assert_ep_advice_withheld,
    by_source,
    call,
    gather,
    grant,
    stored_items,
    withdraw,
)


def test_a_withdrawal_committed_during_a_gather_releases_nothing_after_it(
    served: str, app: FastAPI, sen, emma, leo_case: str, database, monkeypatch: pytest.MonkeyPatch,
) -> None:  # type: ignore[no-untyped-def]
    consent_id = grant(served, emma, "EHC_NEEDS_ASSESSMENT", ["EP_ADVICE"], "NCC-EPS", "NCC-SEN")
    adapter = app.state.adapters.get("educational_psychology")
    original = adapter.fetch
    withdrawn = threading.Event()

    async def fetch_while_withdrawing(*args, **kwargs):  # type: ignore[no-untyped-def]
        items = await original(*args, **kwargs)
        # The source has answered; the family's withdrawal commits before the broker stores anything.
        await asyncio.to_thread(withdraw, database, consent_id)
        withdrawn.set()
        return items

    monkeypatch.setattr(adapter, "fetch", fetch_while_withdrawing)
    response = gather(served, sen, leo_case, ["EP_ADVICE"])
    assert withdrawn.is_set(), response.text
    assert_ep_advice_withheld(response, database)
    with database.sessions() as session:
        disclosed = session.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.event_type == "records.disclosed"))
    assert disclosed == 0


def test_a_source_down_gives_a_partial_result_and_a_retry_fills_the_gap(
    served: str, app: FastAPI, sen, emma, leo_case: str, database, monkeypatch: pytest.MonkeyPatch,
) -> None:  # type: ignore[no-untyped-def]
    grant(served, emma, "EHC_NEEDS_ASSESSMENT", ["EP_ADVICE"], "NCC-EPS", "NCC-SEN")
    grant(served, emma, "EHC_NEEDS_ASSESSMENT", ["SC_ASSESSMENT"], "NCC-CSC", "NCC-SEN")
    adapter = app.state.adapters.get("social_care")
    original = adapter.fetch

    async def down(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise SourceFailure("social_care", "unavailable", "the system did not answer")

    monkeypatch.setattr(adapter, "fetch", down)
    categories = ["EP_ADVICE", "SC_ASSESSMENT"]
    first = gather(served, sen, leo_case, categories).json()
    sources = by_source(first)
    assert sources["social_care"]["status"] == "down" and sources["social_care"]["released"] == []
    assert sources["social_care"]["reason"] == "the system did not answer"
    assert sources["educational_psychology"]["status"] == "ok" and sources["educational_psychology"]["released"]
    assert first["complete"] is False
    partial = stored_items(database)

    monkeypatch.setattr(adapter, "fetch", original)
    second = gather(served, sen, leo_case, categories).json()
    sources = by_source(second)
    new_sc = [i for i in sources["social_care"]["released"] if i["newly_gathered"]]
    assert sources["social_care"]["status"] == "ok" and new_sc
    assert not any(i["newly_gathered"] for i in sources["educational_psychology"]["released"])
    assert stored_items(database) == partial + len(new_sc) and second["complete"] is True


def test_bad_input_is_a_clear_4xx_and_changes_nothing(
    served: str, auth_headers, sen, emma, leo_case: str, database,
) -> None:  # type: ignore[no-untyped-def]
    unknown = gather(served, sen, leo_case, ["NOPE"])
    assert unknown.status_code == 422 and "NOPE" in unknown.json()["detail"]
    only_tier3 = gather(served, sen, leo_case, ["SAFEGUARDING"])
    assert only_tier3.status_code == 422
    missing = call("POST", f"{served}/api/v1/assessments/00000000-0000-0000-0000-000000000000/gather", sen, json={})
    assert missing.status_code == 404
    family = call("POST", f"{served}/api/v1/assessments/{leo_case}/gather", emma, json={})
    assert family.status_code == 403
    other_org = call("GET", f"{served}/api/v1/assessments/{leo_case}/bundle", auth_headers("sc.caseworker"))
    assert other_org.status_code == 404
    wrong_purpose = call("POST", f"{served}/api/v1/record-requests", auth_headers("sc.caseworker"),
                         json={"subject_id": LEO, "purpose": "EHC_NEEDS_ASSESSMENT", "categories": ["SC_ASSESSMENT"]})
    assert wrong_purpose.status_code == 403
    assert stored_items(database) == 0
