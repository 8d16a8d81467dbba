"""Who holds each source system's record of a child (``broker.identity.holders``), without any source asked."""

from __future__ import annotations

from fastapi import FastAPI
from sqlalchemy import update

from adapters.models import IdentityLink
from broker.dev.demo import demo_id
from broker.identity.holders import Holding, holdings
from broker.platform.db import Database
from broker.platform.settings import Settings
from consent.models import Organisation

LEO = demo_id("person:leo")


def _link(database: Database, system: str, ref: str, held_by: str | None, status: str = "linked") -> None:
    with database.unit_of_work() as session:
        session.add(IdentityLink(person_id=LEO, source_system=system, source_person_ref=ref, status=status,
                                 method="upn", score=1.0, held_by=held_by))


def _held(app: FastAPI, database: Database, settings: Settings) -> dict[str, list[Holding]]:
    found: dict[str, list[Holding]] = {}
    with database.sessions() as session:
        for held in holdings(session, settings, app.state.adapters, LEO):
            found.setdefault(held.source_system, []).append(held)
    return found


def test_unlinked_the_configured_services_hold_and_no_school_is_assumed(
    app: FastAPI, database: Database, settings: Settings, demo,
) -> None:  # type: ignore[no-untyped-def]
    held = _held(app, database, settings)
    assert [(h.holder_id, h.refs) for h in held["education"]] == [(None, ())]
    assert [(h.holder_id, h.refs) for h in held["social_care"]] == [(demo_id("org:NCC-CSC"), ())]
    # The paper store is filed under the broker's own id: always "linked", to its configured holder.
    assert [(h.holder_id, h.refs) for h in held["ep_paper"]] == [(demo_id("org:NCC-EPS"), (str(LEO),))]


def test_records_at_two_schools_are_two_holdings_each_under_its_school(
    app: FastAPI, database: Database, settings: Settings, demo,
) -> None:  # type: ignore[no-untyped-def]
    _link(database, "education", "P-1", "8202001")
    _link(database, "education", "P-2", "8203001")
    _link(database, "education", "P-3", "8202001")
    _link(database, "education", "P-4", "8203002", status="pending_review")  # not in force: not a holding
    _link(database, "social_care", "MOS-1", None)
    held = _held(app, database, settings)
    assert sorted((h.holder_id, h.refs, h.held_by, h.urn) for h in held["education"]) == sorted([
        (demo_id("org:SCH-RIVERSIDE"), ("P-1", "P-3"), "8202001", "8202001"),
        (demo_id("org:SCH-HILLTOP"), ("P-2",), "8203001", "8203001")])
    assert [(h.holder_id, h.refs) for h in held["social_care"]] == [(demo_id("org:NCC-CSC"), ("MOS-1",))]


def test_a_school_not_registered_is_a_holding_with_no_organisation(
    app: FastAPI, database: Database, settings: Settings, demo,
) -> None:  # type: ignore[no-untyped-def]
    with database.unit_of_work() as session:
        session.execute(update(Organisation).where(Organisation.code == "SCH-KINGSMERE").values(urn=None))
    _link(database, "education", "P-9", "8204001")
    _link(database, "education", "P-10", None)
    held = _held(app, database, settings)
    assert sorted(((h.refs, h.held_by, h.holder_id) for h in held["education"]), key=str) == sorted([
        (("P-9",), "8204001", None), (("P-10",), None, None)], key=str)
