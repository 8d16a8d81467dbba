"""Gathers at the same time as each other, and as a withdrawal that is still committing."""

from __future__ import annotations

import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from broker import consent_actions
from broker.demo import _principal
from broker.gathering.models import GatheredItem
from consent.schemas import ConsentWithdraw
from tests.broker.gathering.test_gather_faults import _case, _stored
from tests.broker.gathering.test_gather_flow import by_source, call, grant


def test_two_gathers_at_once_store_each_item_once(served: str, auth_headers, database) -> None:  # type: ignore[no-untyped-def]
    sen, emma = auth_headers("sen.caseworker"), auth_headers("emma.walsh")
    grant(served, emma, "EHC_NEEDS_ASSESSMENT", ["EP_ADVICE"], "NCC-EPS", "NCC-SEN")
    grant(served, emma, "EHC_NEEDS_ASSESSMENT", ["SC_ASSESSMENT"], "NCC-CSC", "NCC-SEN")
    case_id = _case(served, sen)
    body = {"categories": ["EP_ADVICE", "SC_ASSESSMENT", "EDU_ATTENDANCE"]}
    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(lambda _: call("POST", f"{served}/api/v1/assessments/{case_id}/gather", sen, json=body),
                                range(4)))
    assert all(a.status_code == 200 for a in answers), [a.text for a in answers]
    released = [[i for s in a.json()["sources"] for i in s["released"]] for a in answers]
    ids = {i["id"] for i in released[0]}
    assert ids and all({i["id"] for i in r} == ids for r in released)
    # Each item was new to exactly one of the gathers, and is stored once.
    for item_id in ids:
        assert sum(1 for r in released for i in r if i["id"] == item_id and i["newly_gathered"]) == 1
    assert _stored(database) == len(ids)
    with database.sessions() as session:
        per_record = session.execute(select(GatheredItem.source_system, GatheredItem.source_record_id, func.count())
                                     .group_by(GatheredItem.source_system, GatheredItem.source_record_id)).all()
    assert all(count == 1 for *_, count in per_record)


def test_a_gather_waits_for_a_withdrawal_still_committing_and_then_releases_nothing(
    served: str, app: FastAPI, auth_headers, database, monkeypatch: pytest.MonkeyPatch,
) -> None:  # type: ignore[no-untyped-def]
    sen, emma = auth_headers("sen.caseworker"), auth_headers("emma.walsh")
    consent_id = grant(served, emma, "EHC_NEEDS_ASSESSMENT", ["EP_ADVICE"], "NCC-EPS", "NCC-SEN")
    case_id = _case(served, sen)
    adapter = app.state.adapters.get("educational_psychology")
    original = adapter.fetch
    fetching = threading.Event()

    async def fetch(*args, **kwargs):  # type: ignore[no-untyped-def]
        fetching.set()
        return await original(*args, **kwargs)

    monkeypatch.setattr(adapter, "fetch", fetch)
    answers: list = []
    gather = threading.Thread(target=lambda: answers.append(call(
        "POST", f"{served}/api/v1/assessments/{case_id}/gather", sen, json={"categories": ["EP_ADVICE"]})))
    with database.unit_of_work() as session:
        # The withdrawal holds the child before the gather has planned; it commits only after
        # the sources have answered and the gather is waiting to release.
        consent_actions.withdraw(session, _principal(session, "emma.walsh"), uuid.UUID(consent_id),
                                 ConsentWithdraw(reason="Changed my mind"))
        gather.start()
        assert fetching.wait(30), "the gather planned a fetch under the permission still in force"
        time.sleep(1.0)
        assert not answers, "the gather released while the withdrawal was still committing"
    gather.join(60)
    assert answers and answers[0].status_code == 200, answers
    ep = by_source(answers[0].json())["educational_psychology"]
    assert ep["released"] == [] and [w["category"] for w in ep["withheld"]] == ["EP_ADVICE"]
    assert _stored(database) == 0
