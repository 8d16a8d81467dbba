"""Demo assessment cases: amelia's, a few weeks in with one advice request overdue, and oliver's, just opened."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, timedelta

from sqlalchemy.orm import Session

from broker.assessments import repository
from broker.assessments.models import AdviceRequest, Assessment


def seed_assessments(session: Session, today: date, demo_id: Callable[[str], uuid.UUID]) -> int:
    """Add the demo cases that are missing (dates relative to ``today``); return how many were added."""
    sen_team, caseworker = demo_id("org:NCC-SEN"), demo_id("user:sen.caseworker")
    added = 0

    def open_case(key: str, received_on: date, **steps: object) -> uuid.UUID | None:
        case_id = demo_id(f"assessment:{key}")
        if session.get(Assessment, case_id) is not None:
            return None
        number = repository.next_case_number(session, received_on.year)
        repository.add(session, Assessment(
            id=case_id, reference=f"EHC-{received_on.year}-{number:06d}", subject_id=demo_id(f"person:{key}"),
            organisation_id=sen_team, opened_by_user_id=caseworker, case_officer_user_id=caseworker, purpose="EHC_NEEDS_ASSESSMENT",
            received_on=received_on, status="open", **steps,
        ))
        return case_id

    def advice(case_id: uuid.UUID, name: str, advice_type: str, organisation: str | None, requested_on: date,
               **fields: object) -> None:
        session.add(AdviceRequest(
            id=demo_id(f"advice:{name}"), assessment_id=case_id, advice_type=advice_type,
            organisation_id=demo_id(f"org:{organisation}") if organisation else None, requested_on=requested_on,
            created_by_user_id=caseworker, **{"status": "requested", **fields},
        ))

    received = today - timedelta(weeks=9)
    amelia = open_case("amelia", received, decision="assess", decision_on=received + timedelta(weeks=5))
    if amelia is not None:
        # Asked for in the first week, so now overdue (due 6 weeks after the request).
        advice(amelia, "amelia:psychological", "psychological", "NCC-EPS", received + timedelta(days=3))
        advice(amelia, "amelia:education", "education", "SCH-RIVERSIDE", received + timedelta(weeks=5))
        advice(amelia, "amelia:family", "family_views", None, received + timedelta(weeks=5),
               status="received", received_on=received + timedelta(weeks=7))
        advice(amelia, "amelia:health", "health", "NHS-NCH", received + timedelta(weeks=5, days=1))
        added += 1
    oliver = open_case("oliver", today - timedelta(weeks=2))
    if oliver is not None:
        advice(oliver, "oliver:family", "family_views", None, today - timedelta(weeks=1))
        added += 1
    session.flush()
    return added
