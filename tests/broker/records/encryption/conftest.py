"""Builders for the encryption tests: subjects, and a stand-in table of sealed items.

The gathered items table arrives with the gather flow; until then ``sealed_items`` (created in the
test's database only) plays its part: one sealed ``content`` column per row.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import Column, LargeBinary, MetaData, Table, Uuid, insert, select
from sqlalchemy.orm import Session

from broker.platform.db import Database
from broker.platform.settings import Settings
from broker.records.encryption.service import RecordEncryption
from consent.models import Person

ITEMS = Table(
    "sealed_items", MetaData(),
    Column("id", Uuid, primary_key=True),
    Column("subject_id", Uuid, nullable=False),
    Column("content", LargeBinary, nullable=False),
)


def make_subject(session: Session, *, given_name: str = "Amelia", family_name: str = "Clarke") -> uuid.UUID:
    person = Person(id=uuid.uuid4(), given_name=given_name, family_name=family_name, is_subject=True)
    session.add(person)
    session.flush()
    return person.id


def store_item(session: Session, encryption: RecordEncryption, subject_id: uuid.UUID, content: bytes) -> uuid.UUID:
    item_id = uuid.uuid4()
    sealed = encryption.seal(session, subject_id, "sealed_items", item_id, "content", content)
    session.execute(insert(ITEMS).values(id=item_id, subject_id=subject_id, content=sealed))
    return item_id


def read_item(session: Session, encryption: RecordEncryption, item_id: uuid.UUID) -> bytes:
    row = session.execute(select(ITEMS).where(ITEMS.c.id == item_id)).one()
    return encryption.open(session, row.subject_id, "sealed_items", row.id, "content", row.content)


@pytest.fixture
def items_table(database: Database) -> Table:
    ITEMS.create(database.engine)
    return ITEMS


@pytest.fixture
def encryption(settings: Settings) -> RecordEncryption:
    return RecordEncryption.from_settings(settings)


@pytest.fixture
def subject(session: Session) -> Iterator[uuid.UUID]:
    subject_id = make_subject(session)
    session.commit()
    yield subject_id
