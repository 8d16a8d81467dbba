"""The demo's permissions and requests are made through the audited services, and seeding twice adds nothing."""

from __future__ import annotations

from sqlalchemy import func, select

from broker.audit_trail import PENDING_KEY
from broker.db import Database
from broker.demo import demo_id, seed
from broker.models import OutboxMessage
from consent.models import Consent, ConsentRequest, ConsentStatusEvent


def test_demo_permissions_are_realistic_audited_and_seeded_once(database: Database) -> None:
    with database.unit_of_work() as s:
        seed(s)
        events = [e.event_type for e in s.info[PENDING_KEY]]
    assert events.count("consent.granted") == 5 and "consent.withdrawn" in events
    assert events.count("consent_request.created") == 2 and events.count("consent_request.answered") == 2
    with database.unit_of_work() as s:
        added = seed(s)
        assert PENDING_KEY not in s.info or not s.info[PENDING_KEY]
    assert added["permissions"] == 0 and added["consent requests"] == 0
    with database.sessions() as s:
        assert s.scalar(select(func.count()).select_from(Consent)) == 5
        assert s.scalar(select(func.count()).select_from(ConsentRequest)) == 2
        assert s.scalar(select(func.count()).select_from(ConsentStatusEvent).where(ConsentStatusEvent.status == "withdrawn")) == 1
        told = set(s.scalars(select(OutboxMessage.recipient_person_id)))
        assert {demo_id("person:sarah"), demo_id("person:david"), demo_id("person:priya")} <= told
