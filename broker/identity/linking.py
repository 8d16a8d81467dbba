"""Finding the child's records in the source systems and the identity review queue: discovery,
a person's decision on a possible match, and the audit event of every change to a link.

Everything here flushes and never commits; the request's unit of work commits once, with the
audit events recorded here in the same transaction.
"""


from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from adapters import repository as link_repository
from adapters import service as link_service
from adapters.models import IdentityLink
from adapters.protocol import FetchContext
from adapters.registry import AdapterRegistry
from audit.events import AuditEvent
from broker.audit_trail import catalogue
from broker.audit_trail.auditing import record
from broker.auth import Principal
from broker.identity.sources import find_candidates, subject_query
from broker.platform.logging import current_request_id
from consent.models import Person


def link_event(caller: Principal, change: link_service.LinkChange, reason: str | None) -> AuditEvent:
    """The audit event of a change to an identity link, by a caseworker (or their discovery)."""
    link = change.link
    return catalogue.identity_link_changed(
        caller, action=change.action, subject_id=link.person_id, link_id=link.id, source_system=link.source_system,
        from_status=change.from_status, to_status=change.to_status, method=link.method, reason=reason,
        held_by={"from": change.held_by_was, "to": link.held_by} if change.action == "holder_changed" else None)


@dataclass(frozen=True)
class Discovery:
    waiting_for_review: int
    unavailable: dict[str, str]


def discover(session: Session, caller: Principal, registry: AdapterRegistry, subject_id: uuid.UUID, purpose: str,
             case_reference: str | None) -> Discovery:
    """Look for the child in every source system and record what matching decides (links made,
    likely matches queued for review), each change audited.  Nothing is fetched here."""
    query, demographics = subject_query(session, subject_id)
    context = FetchContext(purpose=purpose, case_reference=case_reference, requesting_user=caller.username,
                           request_id=current_request_id())
    # Called from a sync route, which FastAPI runs in a worker thread: a private event loop is safe.
    candidates, failures = asyncio.run(find_candidates(registry, query, context))
    changes = link_service.record_matches(session, subject_id, demographics, candidates)
    for change in changes:
        record(session, link_event(caller, change, None))
    waiting = sum(1 for c in changes if c.action == "queued")
    return Discovery(waiting, failures)


def waiting_for_review(session: Session, subject_id: uuid.UUID) -> int:
    """How many possible matches between the child and a source system's record wait for a person."""
    return link_repository.count_pending_reviews(session, subject_id)


def review_queue(session: Session, limit: int = 100) -> tuple[list[tuple[IdentityLink, str]], int]:
    """Links waiting for a caseworker, oldest first, each with the broker's name for the child."""
    links, total = link_service.review_queue(session, limit=limit)
    people = {p.id: p for p in session.scalars(select(Person).where(Person.id.in_({link.person_id for link in links})))}
    named = []
    for link in links:
        person = people.get(link.person_id)
        named.append((link, f"{person.given_name} {person.family_name}" if person else "Unknown"))
    return named, total


def decide_link(session: Session, caller: Principal, link_id: uuid.UUID, *, same_person: bool, version: int,
                reason: str | None) -> link_service.LinkChange:
    """Confirm (the same person) or reject (different people) a link waiting for review; audited."""
    act = link_service.confirm_link if same_person else link_service.reject_link
    change = act(session, link_id, caller.username, expected_version=version, reason=reason)
    record(session, link_event(caller, change, reason))
    return change
