"""The demo's permissions and requests are made through the audited services, and seeding twice adds nothing."""

from __future__ import annotations

from sqlalchemy import func, select

from broker.accounts.models import OutboxMessage
from broker.dev.demo import demo_id, seed
from broker.platform.db import Database
from consent.models import Consent, ConsentRequest, ConsentStatusEvent
from tests.broker.audit_entries import entries_since, next_seq


def test_demo_permissions_are_realistic_audited_and_seeded_once(database: Database) -> None:
    with database.unit_of_work() as s:
        seed(s)
        events = [e.event_type for e in entries_since(s, 0)]
    assert events.count("consent.granted") == 5 and "consent.withdrawn" in events
    assert events.count("consent_request.created") == 2 and events.count("consent_request.answered") == 2
    with database.unit_of_work() as s:
        start = next_seq(s)
        added = seed(s)
        assert entries_since(s, start) == []
    assert added["permissions"] == 0 and added["consent requests"] == 0
    with database.sessions() as s:
        assert s.scalar(select(func.count()).select_from(Consent)) == 5
        assert s.scalar(select(func.count()).select_from(ConsentRequest)) == 2
        assert s.scalar(select(func.count()).select_from(ConsentStatusEvent).where(ConsentStatusEvent.status == "withdrawn")) == 1
        told = set(s.scalars(select(OutboxMessage.recipient_person_id)))
        assert {demo_id("person:sarah"), demo_id("person:david"), demo_id("person:priya")} <= told
