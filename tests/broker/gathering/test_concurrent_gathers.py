"""Gathers at the same time as each other, and as a withdrawal that is still committing."""

from __future__ import annotations

import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from broker.dev.demo import _principal
from broker.gathering.models import GatheredItem
from broker.permissions import consent_actions
from consent.schemas import ConsentWithdraw
from tests.broker.gathering.leos_case import assert_ep_advice_withheld, gather, grant, stored_items


def test_two_gathers_at_once_store_each_item_once(
    served: str, sen, emma, leo_case: str, database,
) -> None:  # type: ignore[no-untyped-def]
    grant(served, emma, "EHC_NEEDS_ASSESSMENT", ["EP_ADVICE"], "NCC-EPS", "NCC-SEN")
    grant(served, emma, "EHC_NEEDS_ASSESSMENT", ["SC_ASSESSMENT"], "NCC-CSC", "NCC-SEN")
    categories = ["EP_ADVICE", "SC_ASSESSMENT", "EDU_ATTENDANCE"]
    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(lambda _: gather(served, sen, leo_case, categories), range(4)))
    assert all(a.status_code == 200 for a in answers), [a.text for a in answers]
    released = [[i for s in a.json()["sources"] for i in s["released"]] for a in answers]
    ids = {i["id"] for i in released[0]}
    assert ids and all({i["id"] for i in r} == ids for r in released)
    # Each item was new to exactly one of the gathers, and is stored once.
    for item_id in ids:
        assert sum(1 for r in released for i in r if i["id"] == item_id and i["newly_gathered"]) == 1
    assert stored_items(database) == len(ids)
    with database.sessions() as session:
        per_record = session.execute(select(GatheredItem.source_system, GatheredItem.source_record_id, func.count())
                                     .group_by(GatheredItem.source_system, GatheredItem.source_record_id)).all()
    assert all(count == 1 for *_, count in per_record)


def test_a_gather_waits_for_a_withdrawal_still_committing_and_then_releases_nothing(
    served: str, app: FastAPI, sen, emma, leo_case: str, database, monkeypatch: pytest.MonkeyPatch,
) -> None:  # type: ignore[no-untyped-def]
    consent_id = grant(served, emma, "EHC_NEEDS_ASSESSMENT", ["EP_ADVICE"], "NCC-EPS", "NCC-SEN")
    adapter = app.state.adapters.get("educational_psychology")
    original = adapter.fetch
    fetching = threading.Event()

    async def fetch(*args, **kwargs):  # type: ignore[no-untyped-def]
        fetching.set()
        return await original(*args, **kwargs)

    monkeypatch.setattr(adapter, "fetch", fetch)
    answers: list = []
    gathering = threading.Thread(target=lambda: answers.append(gather(served, sen, leo_case, ["EP_ADVICE"])))
    with database.unit_of_work() as session:
        # The withdrawal holds the child before the gather has planned; it commits only after
        # the sources have answered and the gather is waiting to release.
        consent_actions.withdraw(session, _principal(session, "emma.walsh"), uuid.UUID(consent_id),
                                 ConsentWithdraw(reason="Changed my mind"))
        gathering.start()
        assert fetching.wait(30), "the gather planned a fetch under the permission still in force"
        time.sleep(1.0)
        assert not answers, "the gather released while the withdrawal was still committing"
    gathering.join(60)
    assert answers, "the gather did not answer"
    assert_ep_advice_withheld(answers[0], database)
