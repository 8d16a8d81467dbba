"""Gather once (DESIGN.md "One request, end to end"): decide per holder and category, fan out to
the permitted sources concurrently, store what comes back sealed, audit every disclosure in the
same transaction, and serve stored items again only while a permission still covers them.
"""

from __future__ import annotations

import asyncio
import base64
import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from adapters.protocol import DataCategory, FetchContext, RecordItem, requestable
from adapters.registry import AdapterRegistry, SourceOutcome, fetch_from_all
from audit.events import AuditEvent
from broker import consent_actions
from broker.auditing import record
from broker.auth import Principal
from broker.encryption.service import RecordEncryption, SealedField
from broker.errors import Forbidden, InvalidInput
from broker.gathering import repository
from broker.gathering.models import TABLE, GatheredItem
from broker.logging import current_request_id
from broker.purposes import Purpose, purpose_permitted
from broker.settings import Settings
from broker.sources import refs_in_force
from consent import service as consent_service
from consent.models import utcnow
from consent.schemas import DecisionCreate


@dataclass
class Withheld:
    category: str
    reason: str


@dataclass
class Released:
    item: GatheredItem
    title: str
    content: dict[str, Any] | None
    document: bytes | None
    new: bool = False


@dataclass
class SourceResult:
    source_system: str
    holder_organisation_id: uuid.UUID | None
    status: str  # ok | timeout | down | not_linked | not_asked
    reason: str | None = None
    released: list[Released] = field(default_factory=list)
    withheld: list[Withheld] = field(default_factory=list)
    missing_permission: list[str] = field(default_factory=list)
    reused: bool = False


@dataclass
class GatherResult:
    subject_id: uuid.UUID
    purpose: str
    at: datetime
    sources: list[SourceResult]


def holders(session: Session, settings: Settings, registry: AdapterRegistry) -> dict[str, uuid.UUID]:
    """Each registered source system's holder organisation (systems with none configured are never asked)."""
    codes = {name: s.holder for name, s in (settings.source_systems or {}).items() if s.holder and name in registry.names}
    ids = repository.organisation_ids_by_code(session, set(codes.values()))
    return {name: ids[code] for name, code in codes.items() if code in ids}


def _seal_payload(item: RecordItem) -> bytes:
    return json.dumps({
        "content": item.content,
        "document": base64.b64encode(item.document).decode() if item.document is not None else None,
    }, separators=(",", ":"), default=str).encode()


def _open(encryption: RecordEncryption, session: Session, rows: list[GatheredItem]) -> list[Released]:
    if not rows:
        return []
    fields = []
    for row in rows:
        fields += [SealedField(TABLE, row.id, "title", row.title), SealedField(TABLE, row.id, "content", row.content)]
    opened = encryption.open_many(session, rows[0].subject_id, fields)
    released = []
    for i, row in enumerate(rows):
        payload = json.loads(opened[2 * i + 1])
        document = base64.b64decode(payload["document"]) if payload["document"] is not None else None
        released.append(Released(row, opened[2 * i].decode(), payload["content"], document))
    return released


def _event(who: Principal, event_type: str, outcome: str, subject_id: uuid.UUID, purpose: str,
           case_reference: str | None, details: dict[str, Any], reason: str | None = None) -> AuditEvent:
    return AuditEvent(
        event_type=event_type, outcome=outcome, actor_user_id=str(who.user_id), actor_username=who.username,
        actor_role=who.role.value, actor_organisation_id=str(who.organisation_id) if who.organisation_id else None,
        subject_id=str(subject_id), purpose=purpose, case_reference=case_reference, reason=reason,
        request_id=current_request_id(), details=details,
    )


def _status(outcome: SourceOutcome) -> tuple[str, str | None]:
    if outcome.status == "ok":
        return "ok", None
    return ("timeout" if outcome.reason == "timeout" else "down"), outcome.detail


async def _fetch(registry: AdapterRegistry, plans: dict[str, tuple[list[str], list[str]]], context: FetchContext,
                 timeout: float) -> dict[str, SourceOutcome]:
    names = list(plans)
    answers = await asyncio.gather(*(
        fetch_from_all(registry, {name: plans[name][0]}, plans[name][1], context, deadline_seconds=timeout)
        for name in names))
    return {name: answer[name] for name, answer in zip(names, answers, strict=True) if name in answer}


def gather(
    session: Session, who: Principal, settings: Settings, registry: AdapterRegistry, encryption: RecordEncryption,
    *, subject_id: uuid.UUID, purpose: str, categories: list[str] | None,
    assessment_id: uuid.UUID | None = None, case_reference: str | None = None, reuse_fresh: bool = False,
) -> GatherResult:
    """Gather a child's records for ``purpose`` into the caller's organisation.

    Per source system: ask the consent registry which of the categories it holds may be released,
    fetch only those (all sources at once, each with its own timeout), check the permission again
    once the fetch is back (a withdrawal committed meanwhile releases nothing), drop tier 3, store
    new items sealed (an item already stored is never duplicated), and audit each disclosure with
    its item ids and content hashes in this transaction.  With ``reuse_fresh``, a category whose
    items were stored within the freshness window is served from the store instead of fetched.
    """
    if who.organisation_id is None:
        raise Forbidden("Only staff of an organisation may gather records.")
    unknown = sorted(set(categories or ()) - {c.value for c in DataCategory})
    if unknown:
        raise InvalidInput(f"Unknown data categories: {', '.join(unknown)}.")
    wanted = [c.value for c in requestable(list(DataCategory) if categories is None else categories)]
    if not wanted:
        raise InvalidInput("Ask for at least one category the broker may carry (tier 3 categories never are).")
    at = utcnow()
    refs = refs_in_force(session, registry, subject_id)
    held_by = holders(session, settings, registry)
    asked: dict[str, list[str]] = {}
    plans: dict[str, tuple[list[str], list[str]]] = {}
    consent_ids: set[str] = set()
    # First pass reads only (nothing is written while the sources answer, so a withdrawal can
    # commit meanwhile); the decision that governs release, and is audited, is taken afterwards.
    for adapter in registry:
        holder = held_by.get(adapter.name)
        mine = [c for c in wanted if adapter.supports(c)]
        if holder is None or not mine:
            continue
        asked[adapter.name] = mine
        first = consent_service.decide(session, subject_id, who.organisation_id, purpose, mine, holder, at)
        to_fetch = first.permitted_categories
        consent_ids |= {str(c.consent_id) for c in first.categories if c.permitted and c.consent_id}
        if reuse_fresh and to_fetch:
            fresh = {row.category for row in repository.stored_items(
                session, subject_id, adapter.name, to_fetch, since=at - timedelta(hours=settings.bundle_fresh_hours))}
            to_fetch = [c for c in to_fetch if c not in fresh]
        if to_fetch and adapter.name in refs:
            plans[adapter.name] = (refs[adapter.name], to_fetch)
    context = FetchContext(purpose=purpose, case_reference=case_reference, requesting_user=who.username,
                           request_id=current_request_id(), consent_ids=sorted(consent_ids))
    # A sync caller (FastAPI runs it in a worker thread): a private event loop is safe here.
    outcomes = asyncio.run(_fetch(registry, plans, context, settings.gather_source_timeout_seconds)) if plans else {}
    results = []
    for name, mine in asked.items():
        holder = held_by[name]
        result = SourceResult(name, holder, "not_asked")
        results.append(result)
        # Decided again now: a permission withdrawn while the sources answered releases nothing.
        decision = consent_actions.decide(session, who, DecisionCreate(
            subject_id=subject_id, recipient_organisation_id=who.organisation_id, purpose=purpose,
            holder_organisation_id=holder, categories=mine), utcnow())
        grounds = {c.category: c for c in decision.categories if c.permitted}
        for c in decision.categories:
            if not c.permitted:
                result.withheld.append(Withheld(c.category, c.reason))
                result.missing_permission.append(c.category)
        if reuse_fresh and grounds:
            fetching = set(plans[name][1]) if name in plans else set()
            stored = repository.stored_items(session, subject_id, name, [c for c in grounds if c not in fetching],
                                             since=at - timedelta(hours=settings.bundle_fresh_hours))
            if stored:
                result.released = _open(encryption, session, stored)
                result.reused, result.status = True, "ok"
                record(session, _event(who, "records.reused", "success", subject_id, purpose, case_reference, {
                    "source_system": name,
                    "items": [{"id": str(r.item.id), "content_hash": r.item.content_hash} for r in result.released],
                }))
        if name in outcomes:
            result.status, result.reason = _status(outcomes[name])
        elif grounds and not result.reused and name not in refs:
            result.status, result.reason = "not_linked", "this child's record in the system has not been linked yet"
        items = [i for i in outcomes[name].items if i.category.value in grounds] if name in outcomes else []
        stored_now = _store(session, who, encryption, subject_id, purpose, assessment_id, holder, grounds, items)
        result.released += stored_now
        if stored_now:
            record(session, _event(who, "records.disclosed", "success", subject_id, purpose, case_reference, {
                "source_system": name, "holder": str(holder),
                "assessment_id": str(assessment_id) if assessment_id else None,
                "items": [{"id": str(r.item.id), "content_hash": r.item.content_hash, "new": r.new} for r in stored_now],
            }))
    return GatherResult(subject_id, purpose, at, results)


def _store(session: Session, who: Principal, encryption: RecordEncryption, subject_id: uuid.UUID, purpose: str,
           assessment_id: uuid.UUID | None, holder: uuid.UUID | None, grounds: dict[str, Any],
           items: list[RecordItem]) -> list[Released]:
    if not items:
        return []
    ids = [uuid.uuid4() for _ in items]
    fields = []
    for row_id, item in zip(ids, items, strict=True):
        fields += [SealedField(TABLE, row_id, "title", item.title.encode()),
                   SealedField(TABLE, row_id, "content", _seal_payload(item))]
    sealed = encryption.seal_many(session, subject_id, fields)
    values = []
    for i, (row_id, item) in enumerate(zip(ids, items, strict=True)):
        ground = grounds.get(item.category.value)
        values.append({
            "id": row_id, "subject_id": subject_id, "assessment_id": assessment_id,
            "source_system": item.source_system, "source_record_id": item.source_record_id,
            "category": item.category.value, "title": sealed[2 * i], "effective_date": item.effective_date,
            "retrieved_at": item.retrieved_at, "media_type": item.media_type, "content_hash": item.content_hash,
            "sensitivity": item.sensitivity.value if item.sensitivity else "standard", "content": sealed[2 * i + 1],
            "purpose": purpose, "holder_organisation_id": holder,
            "consent_id": ground.consent_id if ground else None,
            "consent_version": ground.consent_version if ground else None, "gathered_by_user_id": who.user_id,
        })
    repository.insert_new(session, values)
    rows = repository.items_by_source_ids(session, subject_id, items[0].source_system,
                                          [i.source_record_id for i in items])
    released = _open(encryption, session, rows)
    for r in released:
        r.new = r.item.id in set(ids)
    return released


@dataclass
class BundleResult:
    served: list[Released]
    not_served: list[Withheld]


def bundle(session: Session, who: Principal, encryption: RecordEncryption, subject_id: uuid.UUID, purpose: str,
           case_reference: str | None) -> BundleResult:
    """The stored items the caller's organisation may see now, for ``purpose``: each is decided
    again, so an item whose permission has been withdrawn is no longer served (unless another
    permission covers it), and the categories not served are listed with the reason."""
    if who.organisation_id is None:
        raise Forbidden("Only staff of an organisation may read a gathered bundle.")
    at = utcnow()
    rows = repository.stored_items(session, subject_id, None, None)
    by_holder: dict[uuid.UUID, set[str]] = {}
    for row in rows:
        by_holder.setdefault(row.holder_organisation_id, set()).add(row.category)
    allowed: set[tuple[uuid.UUID, str]] = set()
    not_served: dict[str, str] = {}
    for holder, cats in by_holder.items():
        decision = consent_actions.decide(session, who, DecisionCreate(
            subject_id=subject_id, recipient_organisation_id=who.organisation_id, purpose=purpose,
            holder_organisation_id=holder, categories=sorted(cats)), at)
        for c in decision.categories:
            if c.permitted:
                allowed.add((holder, c.category))
            else:
                not_served.setdefault(c.category, c.reason)
    served_rows = [r for r in rows if (r.holder_organisation_id, r.category) in allowed]
    served = _open(encryption, session, served_rows)
    record(session, _event(who, "bundle.served", "success" if served else "deny", subject_id, purpose, case_reference, {
        "items": [{"id": str(r.item.id), "content_hash": r.item.content_hash} for r in served],
        "not_served_categories": sorted(not_served),
    }))
    return BundleResult(served, [Withheld(c, reason) for c, reason in sorted(not_served.items())])


def check_purpose(who: Principal, organisation_kind: str | None, purpose: Purpose) -> None:
    """Refuse a purpose the caller's organisation may not act for."""
    if not purpose_permitted(organisation_kind, purpose):
        raise Forbidden("Your organisation may not request records for this purpose.")
