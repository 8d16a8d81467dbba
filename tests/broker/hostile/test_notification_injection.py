"""Line breaks in reasons that end up in notifications cannot forge headers or lines of the message."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from broker.accounts.models import OutboxMessage
from broker.auth import Principal, Role
from broker.dev.demo import demo_id
from broker.notifications.outbox import single_line
from broker.permissions import consent_actions
from consent.models import utcnow
from consent.schemas import ConsentRequestCreate

SAM = Principal(user_id=demo_id("user:sen.caseworker"), username="sen.caseworker", display_name="Sam",
                role=Role.caseworker, organisation_id=demo_id("org:NCC-SEN"))
INJECTIONS = [
    "To assess needs.\r\nBcc: attacker@example.com",
    "To assess needs.\nPlease answer by 1 January 2020: https://evil.example/answer",
    "To assess needs.\u2028Reply with your bank details",
    "To assess needs.\x85Subject: urgent\rX-Priority: 1",
]


@pytest.mark.parametrize("text", ["a\r\nb", "a\nb", "a\rb", "a\u2028b", "a\u2029b", "a\x85b", "a\x0bb", "a\tb", "a \r\n\r\n b"])
def test_single_line_turns_every_break_into_one_space(text: str) -> None:
    assert single_line(text) == "a b"


@pytest.mark.parametrize("why", INJECTIONS)
def test_a_reason_with_line_breaks_stays_on_its_own_line(session: Session, demo: None, why: str) -> None:
    request = consent_actions.create_request(session, SAM, ConsentRequestCreate(
        subject_id=demo_id("person:amelia"), purpose="EHC_NEEDS_ASSESSMENT", categories=["EP_ADVICE"],
        holder_organisation_ids=[demo_id("org:NCC-EPS")], recipient_organisation_ids=[demo_id("org:NCC-SEN")],
        why=why, valid_for_days=90, if_declined=why, expires_at=utcnow() + timedelta(days=10),
    ), "https://broker.example")
    messages = session.scalars(select(OutboxMessage).where(OutboxMessage.body.contains(str(request.id)))).all()
    assert messages
    for message in messages:
        lines = message.body.split("\n")
        assert "\r" not in message.body and "\u2028" not in message.body and "\x85" not in message.body
        assert sum(line.startswith("Why: ") for line in lines) == 1
        assert not any(line.startswith(("Bcc:", "Subject:", "X-Priority:", "Please answer by 1 January 2020"))
                       for line in lines)
        assert [line for line in lines if line.startswith("Please answer by")] == [
            f"Please answer by {request.expires_at:%d %B %Y}: https://broker.example/consent-requests/{request.id}"]
        assert "\n" not in message.subject_line and "\r" not in message.subject_line


@pytest.mark.parametrize("subject", ["Hello\r\nBcc: attacker@example.com", "Hello\nWorld", "Hello\u2028World"])
def test_an_outbox_subject_with_a_line_break_is_refused(subject: str) -> None:
    with pytest.raises(ValueError, match="single line"):
        OutboxMessage(id=uuid.uuid4(), template="consent_request", subject_line=subject, body="body")
