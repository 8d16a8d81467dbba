"""What the caseworkers' pages need beyond the assessment and gathering services: which source
systems hold what for a child and under which permission, finding the child's records in the
source systems, asking the family for exactly what is missing, and the identity review queue.

Everything here flushes and never commits; the request's unit of work commits once, with the
audit events recorded here in the same transaction.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from adapters import repository as link_repository
from adapters import service as link_service
from adapters.models import IdentityLink
from adapters.protocol import FetchContext, requestable
from adapters.registry import AdapterRegistry
from audit.events import AuditEvent
from broker import consent_actions
from broker.auditing import record
from broker.auth import Principal
from broker.errors import InvalidInput
from broker.family_view import category_label
from broker.holders import Holding, holdings
from broker.logging import current_request_id
from broker.settings import Settings
from broker.sources import find_candidates, subject_query
from consent import service as consent_service
from consent.models import Person, utcnow
from consent.schemas import ConsentRequestCreate, ConsentRequestRead

# How long the family has to answer a request raised from a case.
ANSWER_WITHIN_DAYS = 28


@dataclass(frozen=True)
class Source:
    """A source system the broker fetches from, with the organisation that holds its records."""

    name: str
    holder_id: uuid.UUID
    holder_name: str
    categories: list[str]


@dataclass(frozen=True)
class CategoryStatus:
    code: str
    label: str
    permitted: bool
    reason: str


@dataclass(frozen=True)
class SourceStatus:
    source: Source
    categories: list[CategoryStatus]

    @property
    def missing(self) -> list[CategoryStatus]:
        return [c for c in self.categories if not c.permitted]


def sources(registry: AdapterRegistry, held_by: list[Holding]) -> list[Source]:
    """Each organisation holding the child's records (``broker.holders.holdings``: the child's own
    school for the education system), in the registry's order; systems sharing a holder (an
    electronic and a paper store) are shown as one.  A holder the broker does not know is left
    out: no permission can name it."""
    by_holder: dict[uuid.UUID, Source] = {}
    for held in held_by:
        if held.holder_id is None or held.holder_name is None:
            continue
        mine = [c.value for c in requestable(sorted(registry.get(held.source_system).categories))]
        known = by_holder.get(held.holder_id)
        if known is None:
            by_holder[held.holder_id] = Source(held.source_system, held.holder_id, held.holder_name, mine)
        else:
            merged = known.categories + [c for c in mine if c not in known.categories]
            by_holder[held.holder_id] = Source(known.name, known.holder_id, known.holder_name, merged)
    return list(by_holder.values())


def permission_status(session: Session, caller: Principal, settings: Settings, registry: AdapterRegistry,
                      subject_id: uuid.UUID, purpose: str, *, held_by: list[Holding] | None = None) -> list[SourceStatus]:
    """For each source and each category it holds: may it be released to the caller's organisation
    for ``purpose`` now?  A read of the permissions only: nothing is fetched, nothing is released.
    ``held_by``: the child's holdings, when the caller has read them already."""
    if caller.organisation_id is None:
        return []
    at = utcnow()
    result = []
    if held_by is None:
        held_by = holdings(session, settings, registry, subject_id)
    for source in sources(registry, held_by):
        decision = consent_service.decide(session, subject_id, caller.organisation_id, purpose, source.categories,
                                          source.holder_id, at)
        result.append(SourceStatus(source, [
            CategoryStatus(c.category, category_label(c.category), c.permitted, c.reason) for c in decision.categories
        ]))
    return result


def link_event(caller: Principal, change: link_service.LinkChange, reason: str | None) -> AuditEvent:
    """The audit event of a change to an identity link, by a caseworker (or their discovery)."""
    link = change.link
    return AuditEvent(
        event_type=f"identity_link.{change.action}", outcome="success",
        actor_user_id=str(caller.user_id), actor_username=caller.username, actor_role=str(caller.role),
        actor_organisation_id=str(caller.organisation_id) if caller.organisation_id else None,
        subject_id=str(link.person_id), reason=reason, request_id=current_request_id(),
        details={"link_id": str(link.id), "source_system": link.source_system,
                 "from_status": change.from_status, "to_status": change.to_status, "method": link.method,
                 **({"held_by": {"from": change.held_by_was, "to": link.held_by}}
                    if change.action == "holder_changed" else {})})


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


def ask_family(session: Session, caller: Principal, settings: Settings, registry: AdapterRegistry, *,
               subject_id: uuid.UUID, purpose: str, categories: list[str], why: str, valid_for_days: int,
               if_declined: str) -> ConsentRequestRead:
    """Raise one consent request for the chosen categories that are missing now, from the sources
    that hold them and lack the permission, to the caller's organisation."""
    missing = permission_status(session, caller, settings, registry, subject_id, purpose)
    chosen = list(dict.fromkeys(categories))
    holders = [s.source.holder_id for s in missing if any(m.code in chosen for m in s.missing)]
    still_missing = {m.code for s in missing for m in s.missing}
    if not chosen or not set(chosen) <= still_missing or not holders:
        raise InvalidInput("Choose information that is missing now.")
    assert caller.organisation_id is not None
    return consent_actions.create_request(session, caller, ConsentRequestCreate(
        subject_id=subject_id, purpose=purpose, categories=chosen, holder_organisation_ids=holders,
        recipient_organisation_ids=[caller.organisation_id], why=why, valid_for_days=valid_for_days,
        if_declined=if_declined, expires_at=utcnow() + timedelta(days=ANSWER_WITHIN_DAYS),
    ), settings.public_url)


# The identity review queue

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
