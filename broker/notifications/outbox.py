"""Notifications to families and staff: written to the outbox in the caller's transaction.

In the embedded default the outbox is the delivery (shown on a page and in the log); in
production a sender passes its rows to GOV.UK Notify.  A message is never sent for a change that
rolled back, because it is written in the same transaction.
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from broker.accounts.models import OutboxMessage, User
from consent.models import Person
from consent.schemas import ConsentRequestRead
from consent.standing import Decider
from consent.vocabulary import DATA_CATEGORIES, PURPOSES

_SPACES = re.compile(r"\s+")


def single_line(text: str) -> str:
    """``text`` as one line: every control character and line or paragraph separator (CR, LF,
    NEL, U+2028, U+2029, tabs and the rest) becomes a space.

    Free text that others typed (a caseworker's reasons, a name from a source system) goes into a
    notification's subject or into one labelled line of its body; a line break in it could forge
    a header (``Bcc:`` in an email) or a line of the message the family would take for ours.
    """
    cleaned = "".join(" " if unicodedata.category(c) in ("Cc", "Zl", "Zp") else c for c in text)
    return _SPACES.sub(" ", cleaned).strip()


class Notifier:
    """Writes ``OutboxMessage`` rows; one message per person told."""

    def __init__(self, session: Session, public_url: str) -> None:
        self.session = session
        self.public_url = public_url.rstrip("/")

    def consent_request_raised(self, request: ConsentRequestRead, deciders: Sequence[Decider]) -> int:
        """Tell each person who may decide about a new request, separately. Returns how many were told."""
        child = self.session.get(Person, request.subject_id)
        child_name = single_line(child.given_name) if child else "your child"
        what = ", ".join(DATA_CATEGORIES[c].label for c in request.categories)
        link = f"{self.public_url}/consent-requests/{request.id}"
        told = 0
        for decider in deciders:
            about = "your information" if decider.person_id == request.subject_id else f"{child_name}'s information"
            body = (
                f"We are asking for your permission to share {about} for "
                f"{PURPOSES[request.purpose].label}.\n\n"
                f"What: {what}.\nWhy: {single_line(request.why)}\n"
                f"For how long: {request.valid_for_days} days from when you agree.\n"
                f"If you say no: {single_line(request.if_declined)}\n\n"
                f"Please answer by {request.expires_at:%d %B %Y}: {link}\n"
                "You can approve all of it, approve part of it, or say no. You can change your mind at any time."
            )
            for person_id, user_id in self._recipients(decider):
                self.session.add(OutboxMessage(
                    id=uuid.uuid4(), recipient_person_id=person_id, recipient_user_id=user_id,
                    template="consent_request", subject_line="We are asking for your permission", body=body,
                ))
                told += 1
        self.session.flush()
        return told

    def _recipients(self, decider: Decider) -> list[tuple[uuid.UUID | None, uuid.UUID | None]]:
        if decider.person_id is not None:
            user_id = self.session.scalars(select(User.id).where(User.person_id == decider.person_id)).first()
            return [(decider.person_id, user_id)]
        users = self.session.scalars(
            select(User.id).where(User.organisation_id == decider.organisation_id).order_by(User.username)
        ).all()
        return [(None, user_id) for user_id in users]
