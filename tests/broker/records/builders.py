"""Builders for the stored-records tests: sealed gathered items and cases, written directly."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from broker.assessments.models import Assessment
from broker.auth import Principal, Role
from broker.dev.demo import demo_id
from broker.gathering.models import TABLE, GatheredItem
from broker.records.encryption.service import RecordEncryption, SealedField

LEO = demo_id("person:leo")
SEN, EPS, CSC = demo_id("org:NCC-SEN"), demo_id("org:NCC-EPS"), demo_id("org:NCC-CSC")
EMMA = Principal(user_id=demo_id("user:emma.walsh"), username="emma.walsh", display_name="Emma Walsh",
                 role=Role.family, person_id=demo_id("person:emma"))
SEN_CASEWORKER = demo_id("user:sen.caseworker")


def open_case(session: Session, subject_id: uuid.UUID = LEO, *, closed_at: datetime | None = None,
              purpose: str = "EHC_NEEDS_ASSESSMENT") -> uuid.UUID:
    case = Assessment(
        id=uuid.uuid4(), reference=f"EHC-T-{uuid.uuid4().hex[:10]}", subject_id=subject_id, organisation_id=SEN,
        opened_by_user_id=SEN_CASEWORKER, case_officer_user_id=SEN_CASEWORKER, purpose=purpose, received_on=date(2024, 11, 1),
        status="closed" if closed_at else "open", closed_at=closed_at)
    session.add(case)
    session.flush()
    return case.id


def store_item(
    session: Session, encryption: RecordEncryption, *, text: str, category: str = "EP_ADVICE", holder: uuid.UUID = EPS,
    purpose: str = "EHC_NEEDS_ASSESSMENT", subject_id: uuid.UUID = LEO, assessment_id: uuid.UUID | None = None,
    retrieved_at: datetime = datetime(2024, 12, 1, tzinfo=UTC), consent_id: uuid.UUID | None = None,
) -> uuid.UUID:
    """A gathered item whose title and content hold ``text`` (sealed, as the gather flow stores it)."""
    item_id = uuid.uuid4()
    title, content = encryption.seal_many(session, subject_id, [
        SealedField(TABLE, item_id, "title", f"Report: {text}".encode()),
        SealedField(TABLE, item_id, "content", json.dumps({"content": {"summary": text}, "document": None}).encode()),
    ])
    session.add(GatheredItem(
        id=item_id, subject_id=subject_id, assessment_id=assessment_id, source_system="educational_psychology",
        source_record_id=f"rec-{item_id.hex[:12]}", category=category, title=title, effective_date=None,
        retrieved_at=retrieved_at, media_type="application/json", content_hash="0" * 64, sensitivity="standard",
        content=content, purpose=purpose, holder_organisation_id=holder, consent_id=consent_id, consent_version=None,
        gathered_by_user_id=SEN_CASEWORKER))
    session.flush()
    return item_id


def item_ids(session: Session, subject_id: uuid.UUID = LEO) -> set[uuid.UUID]:
    return set(session.scalars(select(GatheredItem.id).where(GatheredItem.subject_id == subject_id)))


def read_text(session: Session, encryption: RecordEncryption, item_id: uuid.UUID) -> str:
    row = session.get(GatheredItem, item_id, populate_existing=True)
    assert row is not None
    _, content = encryption.open_many(session, row.subject_id, [
        SealedField(TABLE, row.id, "title", row.title), SealedField(TABLE, row.id, "content", row.content)])
    return json.loads(content)["content"]["summary"]
