"""A savepoint taken before a transaction's first write stays inside the transaction.

SQLite's Python driver opens a transaction only before an INSERT, UPDATE or DELETE; a SAVEPOINT
sent first would open one of its own, and releasing it would commit: a change and its audit entry
would then commit apart, and a failure (or a crash) between them would leave the change unaudited.
"""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from broker.platform.db import Database
from consent.models import Organisation, utcnow


def test_a_failure_after_a_savepoint_rolls_back_what_the_savepoint_wrote(database: Database) -> None:
    organisation_id = uuid.uuid4()
    with pytest.raises(RuntimeError), database.unit_of_work() as session:
        with session.begin_nested():
            session.add(Organisation(id=organisation_id, code="ORG-SAVEPOINT", name="Savepoint test",
                                     kind="team", created_at=utcnow()))
            session.flush()
        raise RuntimeError("the audit entry could not be written")
    with database.sessions() as session:
        assert session.scalars(select(Organisation).where(Organisation.id == organisation_id)).first() is None
