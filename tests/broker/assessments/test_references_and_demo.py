"""Case references stay unique under concurrent opening; the demo cases seed once."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from sqlalchemy import select

from broker.assessments import service
from broker.assessments.models import AdviceRequest, Assessment
from broker.assessments.schemas import AssessmentCreate
from broker.auth import Principal, Role
from broker.dev.demo import demo_id, seed
from broker.platform.clock import council_today
from broker.platform.db import Database
from broker.platform.errors import Conflict

pytestmark = pytest.mark.usefixtures("demo")


def test_concurrent_openings_get_distinct_consecutive_references(database: Database) -> None:
    """Six caseworkers' openings at once: one case each for the two children without one, with
    consecutive references; the others are refused (one open case per child), using no number."""
    caseworker = Principal(user_id=demo_id("user:sen.caseworker"), username="sen.caseworker", display_name="SEN",
                           role=Role.caseworker, organisation_id=demo_id("org:NCC-SEN"))
    references: list[str] = []
    errors: list[BaseException] = []
    start = threading.Barrier(6)

    def open_one(subject: str) -> None:
        try:
            start.wait()
            with database.unit_of_work() as session:
                case = service.open_assessment(
                    session, caseworker, AssessmentCreate(subject_id=demo_id("person:" + subject), received_on=date(2025, 6, 2)),
                    council_today(),
                )
                references.append(case.reference)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=open_one, args=(s,)) for s in ["jordan", "leo", "amelia", "oliver", "jordan", "leo"]]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(errors) == 4 and all(isinstance(e, Conflict) for e in errors), errors
    assert sorted(references) == [f"EHC-2025-{n:06d}" for n in range(1, 3)]


def test_seeding_again_adds_no_demo_cases(database: Database) -> None:
    with database.unit_of_work() as session:
        assert seed(session)["assessments"] == 0
        cases = session.scalars(select(Assessment).order_by(Assessment.reference)).all()
        assert [c.subject_id for c in cases] == [demo_id("person:amelia"), demo_id("person:oliver")]
        assert len(session.scalars(select(AdviceRequest)).all()) == 5
