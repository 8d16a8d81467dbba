"""Gather once (docs/architecture.md, "One request, end to end"): decide per holder and category, fan out to
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

from anyio import to_thread
from sqlalchemy.orm import Session

from adapters.protocol import DataCategory, FetchContext, RecordItem, requestable
from adapters.registry import AdapterRegistry, SourceOutcome, fetch_from_all
from adapters.service import note_holder_of
from audit.events import AuditEvent
from broker.audit_trail import catalogue
from broker.audit_trail.auditing import record_many
from broker.auth import Principal
from broker.gathering import repository
from broker.gathering.models import TABLE, GatheredItem
from broker.identity.holders import holdings
from broker.identity.linking import link_event
from broker.permissions import release_policy
from broker.permissions.purposes import Purpose, purpose_permitted
from broker.permissions.release_policy import Recipient, Release, Ruling, facts_of
from broker.platform.db import Database
from broker.platform.errors import Forbidden, InvalidInput
from broker.platform.logging import current_request_id
from broker.platform.settings import Settings
from broker.records.encryption.service import RecordEncryption, SealedField
from consent import repository as consent_repository
from consent.models import utcnow
from consent.vocabulary import DATA_CATEGORIES


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
    # The release policy's answer for this item, at this reading.
    release: Release | None = None


@dataclass
class SourceResult:
    source_system: str
    holder_organisation_id: uuid.UUID | None
    status: str  # ok | timeout | down | not_linked | not_asked | holder_unknown | holder_changed
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
    id: uuid.UUID = field(default_factory=uuid.uuid4)


GATHER_COMPLETED = catalogue.EventType.GATHER_COMPLETED.value
NOT_LINKED = "this child's record in the system has not been linked yet"
# Statuses whose reason the broker writes itself (never a source system's words): kept with the gather.
OWN_REASONS = frozenset({"not_linked", "holder_unknown", "holder_changed"})


def _seal_payload(item: RecordItem) -> bytes:
    return json.dumps({
        "content": item.content,
        "document": base64.b64encode(item.document).decode() if item.document is not None else None,
    }, separators=(",", ":"), default=str).encode()


def released_rows(rulings: dict[str, Ruling], rows: list[GatheredItem]) -> list[tuple[GatheredItem, Release]]:
    """The stored rows the rulings release, each with its answer (rows of other categories are not)."""
    answers = [(row, rulings[row.category].item(facts_of(row))) for row in rows if row.category in rulings]
    return [(row, answer) for row, answer in answers if answer.released]


def _open(encryption: RecordEncryption, session: Session, rows: list[GatheredItem],
          releases: list[Release] | None = None) -> list[Released]:
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
        released.append(Released(row, opened[2 * i].decode(), payload["content"], document,
                                 release=releases[i] if releases else None))
    return released


def _status(outcomes: list[SourceOutcome]) -> tuple[str, str | None]:
    """A source's status from its answers for each record: the first failure, else ok."""
    failed = next((o for o in outcomes if o.status != "ok"), None)
    if failed is None:
        return "ok", None
    return ("timeout" if failed.reason == "timeout" else "down"), failed.detail


def recipient_of(session: Session, who: Principal, subject_id: uuid.UUID, purpose: str, at: datetime,
                 assessment_id: uuid.UUID | None = None) -> Recipient:
    """The caller's organisation as the recipient of a release, for ``purpose`` at ``at``."""
    assert who.organisation_id is not None
    return release_policy.recipient(session, subject_id=subject_id, organisation_id=who.organisation_id,
                                    purpose=purpose, at=at, user_id=who.user_id, assessment_id=assessment_id)


def _decision_event(who: Principal, subject_id: uuid.UUID, purpose: str, case_reference: str | None,
                    holder: uuid.UUID, at: datetime, rulings: list[Ruling]) -> AuditEvent:
    summaries = [r.summary() for r in rulings]
    return catalogue.decision_made(
        who, subject_id=subject_id, purpose=purpose, case_reference=case_reference, recipient=who.organisation_id,
        holder=holder, at=at.isoformat(), permitted=[c.category for c in summaries if c.released],
        denied=[c.category for c in summaries if not c.released],
        consents=sorted({f"{c.consent_id}:v{c.consent_version}" for c in summaries if c.released and c.consent_id}),
        statutory=[c.category for c in summaries if c.basis is release_policy.Basis.statutory_duty],
        documents={r.category: r.documents for r in rulings if r.documents is not None})


@dataclass
class SourcePlan:
    """Some of a child's records in one source system, under one holder: what they were asked
    for, and what to fetch.  ``holder`` None: nothing is fetched, because the source names a
    holder the broker does not know (``held_by``), has not named one yet, or (``refs`` None) the
    child's record there is not linked yet; ``urn`` is the holder's URN, checked against the one
    the source names when it answers."""

    name: str
    holder: uuid.UUID | None
    asked: list[str]
    fetch: list[str]
    refs: list[str] | None
    held_by: str | None = None
    urn: str | None = None


@dataclass
class GatherPlan:
    """What a gather will do, decided in a short read-only transaction before any source is asked."""

    subject_id: uuid.UUID
    purpose: str
    at: datetime
    sources: list[SourcePlan]
    context: FetchContext
    assessment_id: uuid.UUID | None
    case_reference: str | None
    reuse_fresh: bool

    @property
    def fetches(self) -> list[tuple[int, str]]:
        """Each record to fetch, as (index of its source in ``sources``, the source's id for it)."""
        return [(i, ref) for i, s in enumerate(self.sources) if s.fetch and s.holder is not None
                for ref in s.refs or ()]


def plan_gather(
    session: Session, who: Principal, settings: Settings, registry: AdapterRegistry,
    *, subject_id: uuid.UUID, purpose: str, categories: list[str] | None,
    assessment_id: uuid.UUID | None = None, case_reference: str | None = None, reuse_fresh: bool = False,
) -> GatherPlan:
    """Check the request and decide, reading only, what to fetch from each source system: the
    categories it holds that the family's permissions or the statutory footing allow now, from
    the holder of each of the child's records there, less (with ``reuse_fresh``) those stored
    within the freshness window.  Nothing is written, so no lock is held while the sources
    answer; the decision that governs release is taken again in ``commit_gather``."""
    if who.organisation_id is None:
        raise Forbidden("Only staff of an organisation may gather records.")
    unknown = sorted(set(categories or ()) - {c.value for c in DataCategory})
    if unknown:
        raise InvalidInput(f"Unknown data categories: {', '.join(unknown)}.")
    wanted = [c.value for c in requestable(list(DataCategory) if categories is None else categories)]
    if not wanted:
        raise InvalidInput("Ask for at least one category the broker may carry (tier 3 categories never are).")
    at = utcnow()
    to = recipient_of(session, who, subject_id, purpose, at, assessment_id)
    sources: list[SourcePlan] = []
    consent_ids: set[str] = set()
    for held in holdings(session, settings, registry, subject_id):
        mine = [c for c in wanted if registry.get(held.source_system).supports(c)]
        if not mine:
            continue
        refs = list(held.refs) or None
        if held.holder_id is None:
            sources.append(SourcePlan(held.source_system, None, mine, [], refs, held.held_by))
            continue
        rulings = release_policy.decide(session, to, held.holder_id, mine)
        to_fetch = [r.category for r in rulings if r.may_release_any]
        consent_ids |= {str(r.permission.consent_id) for r in rulings if r.permission.permitted and r.permission.consent_id}
        if reuse_fresh and to_fetch:
            fresh = {row.category for row in repository.stored_items(
                session, subject_id, held.source_system, to_fetch, holder=held.holder_id,
                since=at - timedelta(hours=settings.bundle_fresh_hours))}
            to_fetch = [c for c in to_fetch if c not in fresh]
        sources.append(SourcePlan(held.source_system, held.holder_id, mine, to_fetch, refs, held.held_by, held.urn))
    context = FetchContext(purpose=purpose, case_reference=case_reference, requesting_user=who.username,
                           request_id=current_request_id(), consent_ids=sorted(consent_ids))
    return GatherPlan(subject_id, purpose, at, sources, context, assessment_id, case_reference, reuse_fresh)


Fetched = dict[tuple[int, str], SourceOutcome]


async def fetch_planned(registry: AdapterRegistry, plan: GatherPlan, timeout: float) -> Fetched:
    """Ask for every record in the plan at once, each with its own deadline; no database
    connection is held meanwhile.  A source that fails or times out is an outcome, never an
    exception.  Answers are kept per record, so what a source says of each can be checked."""
    keys = plan.fetches
    answers = await asyncio.gather(*(
        fetch_from_all(registry, {plan.sources[i].name: ref}, plan.sources[i].fetch, plan.context,
                       deadline_seconds=timeout)
        for i, ref in keys))
    return {(i, ref): answer[plan.sources[i].name] for (i, ref), answer in zip(keys, answers, strict=True)
            if plan.sources[i].name in answer}


HOLDER_UNKNOWN = ("the child's school (URN {urn}) is not registered with the broker, so no permission can name it "
                  "as the holder; an administrator registers the school, then gather again")
HOLDER_NOT_NAMED = ("the system has not said which school holds this record; find the child's records again "
                    "(Gather does) to learn it")
HOLDER_CHANGED = ("the child's school has changed since the record was linked; nothing was released, and the "
                  "next gather asks under the new school's permission")


def commit_gather(
    session: Session, who: Principal, settings: Settings, encryption: RecordEncryption, plan: GatherPlan,
    outcomes: Fetched,
) -> GatherResult:
    """Release what the sources answered, in one short transaction.

    The subject is held first (``repository.hold_subject``: a withdrawal for this child waits for
    this transaction, or this one waits for it), then each source is decided again: an item is
    stored and released only if a permission, or the statutory footing, covers it now, so a
    withdrawal that committed while the sources answered releases nothing.  New items are stored
    sealed (one already stored, by a concurrent gather too, is never duplicated); the decisions
    and disclosures are audited together at the end, in this transaction."""
    assert who.organisation_id is not None
    repository.hold_subject(session, plan.subject_id)
    at = utcnow()
    to = recipient_of(session, who, plan.subject_id, plan.purpose, at, plan.assessment_id)
    events: list[AuditEvent] = []
    results = []
    for index, source in enumerate(plan.sources):
        answered = [(ref, outcomes[(index, ref)]) for ref in source.refs or () if (index, ref) in outcomes]
        if source.holder is None:
            results.append(_holder_unknown(who, plan, source, at, events))
        else:
            results.append(_commit_source(session, who, settings, encryption, plan, to, source, answered, events))
    gathered = GatherResult(plan.subject_id, plan.purpose, at, results)
    events.append(_summary_event(who, plan, gathered))
    # Last, so the audit counter's lock is held for as short a time as possible.
    record_many(session, events)
    return gathered


def _holder_unknown(who: Principal, plan: GatherPlan, source: SourcePlan, at: datetime,
                    events: list[AuditEvent]) -> SourceResult:
    """A record whose holder the broker does not know: nothing asked, nothing released, and why.
    Not linked yet, in a system that names holders: nobody to ask yet."""
    if not source.refs:
        return SourceResult(source.name, None, "not_linked", NOT_LINKED)
    reason = HOLDER_UNKNOWN.format(urn=source.held_by) if source.held_by else HOLDER_NOT_NAMED
    events.append(catalogue.decision_made(
        who, subject_id=plan.subject_id, purpose=plan.purpose, case_reference=plan.case_reference,
        recipient=who.organisation_id, holder=None, held_by=source.held_by, at=at.isoformat(), permitted=[],
        denied=source.asked, consents=[], statutory=[], reason="holder_unknown"))
    return SourceResult(source.name, None, "holder_unknown", reason,
                        withheld=[Withheld(c, reason[0].upper() + reason[1:] + ".") for c in source.asked])


def _commit_source(
    session: Session, who: Principal, settings: Settings, encryption: RecordEncryption, plan: GatherPlan,
    to: Recipient, source: SourcePlan, answered: list[tuple[str, SourceOutcome]], events: list[AuditEvent],
) -> SourceResult:
    assert who.organisation_id is not None and source.holder is not None
    subject_id, purpose, case_reference, at = plan.subject_id, plan.purpose, plan.case_reference, to.at
    name, holder = source.name, source.holder
    result = SourceResult(name, holder, "not_asked")
    rulings = release_policy.decide(session, to, holder, source.asked)
    events.append(_decision_event(who, subject_id, purpose, case_reference, holder, at, rulings))
    grounds = {r.category: r for r in rulings if r.may_release_any}
    for r in rulings:
        if r.rests_on_missing_permission:
            result.withheld.append(Withheld(r.category, r.withheld_reason))
            result.missing_permission.append(r.category)
    if plan.reuse_fresh and grounds:
        fetching = set(source.fetch) if source.refs else set()
        stored = released_rows(grounds, repository.stored_items(
            session, subject_id, name, [c for c in grounds if c not in fetching], holder=holder,
            since=at - timedelta(hours=settings.bundle_fresh_hours)))
        if stored:
            result.released = _open(encryption, session, [row for row, _ in stored], [r for _, r in stored])
            result.reused, result.status = True, "ok"
            events.append(catalogue.records_reused(
                who, subject_id=subject_id, purpose=purpose, case_reference=case_reference, source_system=name,
                holder=holder, recipient=who.organisation_id, categories=[r.item.category for r in result.released],
                items=[{"id": str(r.item.id), "content_hash": r.item.content_hash} for r in result.released]))
    if answered:
        result.status, result.reason = _status([outcome for _, outcome in answered])
    elif grounds and not result.reused and not source.refs:
        result.status, result.reason = "not_linked", NOT_LINKED
    items = _still_held(session, who, plan, source, answered, result, events)
    releases = {i.source_record_id: grounds[i.category.value].item(facts_of(i))
                for i in items if i.category.value in grounds}
    stored_now = _store(session, who, encryption, subject_id, purpose, plan.assessment_id, holder, releases,
                        [i for i in items if i.source_record_id in releases and releases[i.source_record_id].released])
    result.released += stored_now
    if stored_now:
        events.append(catalogue.records_disclosed(
            who, subject_id=subject_id, purpose=purpose, case_reference=case_reference, source_system=name,
            holder=holder, recipient=who.organisation_id, assessment_id=plan.assessment_id,
            categories=[r.item.category for r in stored_now],
            items=[{"id": str(r.item.id), "content_hash": r.item.content_hash, "new": r.new,
                    "basis": r.release.basis.value if r.release and r.release.basis else None}
                   for r in stored_now]))
    return result


def _still_held(session: Session, who: Principal, plan: GatherPlan, source: SourcePlan,
                answered: list[tuple[str, SourceOutcome]], result: SourceResult,
                events: list[AuditEvent]) -> list[RecordItem]:
    """The answered items still held by the holder the decision named.  A source that now names
    another holder for a record (a pupil who changed school) releases nothing of it: the link
    records the new holder, audited, so the next gather decides for it."""
    kept: list[RecordItem] = []
    moved: set[str] = set()
    for ref, outcome in answered:
        now_held_by = {i.held_by for i in outcome.items if i.held_by is not None and i.held_by != source.urn}
        if not now_held_by:
            kept += outcome.items
            continue
        moved |= {i.category.value for i in outcome.items}
        change = note_holder_of(session, plan.subject_id, source.name, ref, sorted(now_held_by)[0])
        if change is not None:
            events.append(link_event(who, change, None))
    if moved:
        result.status, result.reason = "holder_changed", HOLDER_CHANGED
        result.withheld += [Withheld(c, HOLDER_CHANGED[0].upper() + HOLDER_CHANGED[1:] + ".") for c in sorted(moved)]
    return kept


def _summary_event(who: Principal, plan: GatherPlan, gathered: GatherResult) -> AuditEvent:
    """What the gather answered, per source, by identifiers and codes only (no record contents,
    nothing a source system said): enough for the caller to see the same answer again."""
    summary = {
        "gather_id": str(gathered.id), "at": gathered.at.isoformat(),
        "assessment_id": str(plan.assessment_id) if plan.assessment_id else None,
        "sources": [{
            "source_system": s.source_system,
            "holder": str(s.holder_organisation_id) if s.holder_organisation_id else None,
            "status": s.status, "served_from_store": s.reused,
            "reason": s.reason if s.status in OWN_REASONS else None,
            "released": [{"id": str(r.item.id), "category": r.item.category, "new": r.new} for r in s.released],
            "withheld": [{"category": w.category, "reason": w.reason} for w in s.withheld],
            "missing_permission": s.missing_permission,
        } for s in gathered.sources],
    }
    return catalogue.gather_completed(who, subject_id=plan.subject_id, purpose=plan.purpose,
                                      case_reference=plan.case_reference, summary=summary)


async def gather(
    database: Database, who: Principal, settings: Settings, registry: AdapterRegistry, encryption: RecordEncryption,
    *, subject_id: uuid.UUID, purpose: str, categories: list[str] | None,
    assessment_id: uuid.UUID | None = None, case_reference: str | None = None, reuse_fresh: bool = False,
) -> GatherResult:
    """Gather a child's records for ``purpose`` into the caller's organisation: plan (a short
    read-only transaction), fetch from every planned source at once with no connection held, then
    commit (a short transaction that decides again, stores without duplicates and audits).

    Per source system, the answer says what was released (permitted by the family, or on the
    statutory footing), what was withheld and why, and what permission is missing.  With
    ``reuse_fresh``, a category stored within the freshness window is served from the store
    instead of fetched."""

    def plan_in_transaction() -> GatherPlan:
        with database.unit_of_work() as session:
            return plan_gather(session, who, settings, registry, subject_id=subject_id, purpose=purpose,
                               categories=categories, assessment_id=assessment_id, case_reference=case_reference,
                               reuse_fresh=reuse_fresh)

    def commit_in_transaction(outcomes: Fetched) -> GatherResult:
        with database.writer_turn(), database.unit_of_work() as session:
            return commit_gather(session, who, settings, encryption, plan, outcomes)

    plan = await to_thread.run_sync(plan_in_transaction)
    outcomes = await fetch_planned(registry, plan, settings.gather_source_timeout_seconds) if plan.fetches else {}
    return await to_thread.run_sync(commit_in_transaction, outcomes)


def _store(session: Session, who: Principal, encryption: RecordEncryption, subject_id: uuid.UUID, purpose: str,
           assessment_id: uuid.UUID | None, holder: uuid.UUID | None, releases: dict[str, Release],
           items: list[RecordItem]) -> list[Released]:
    """Store the items not yet stored for the child and answer every item as stored.  An item
    already stored with the same content hash is answered from what the source just sent (the
    same content), so only new or changed items are sealed or opened."""
    if not items:
        return []
    source_system = items[0].source_system
    held = {row.source_record_id: row for row in repository.items_by_source_ids(
        session, subject_id, source_system, [i.source_record_id for i in items], with_content=False)}
    new = [i for i in items if i.source_record_id not in held]
    ids = {i.source_record_id: uuid.uuid4() for i in new}
    if new:
        fields = []
        for item in new:
            row_id = ids[item.source_record_id]
            fields += [SealedField(TABLE, row_id, "title", item.title.encode()),
                       SealedField(TABLE, row_id, "content", _seal_payload(item))]
        sealed = encryption.seal_many(session, subject_id, fields)
        values: list[dict[str, object]] = []
        for i, item in enumerate(new):
            ground = releases[item.source_record_id]
            values.append({
                "id": ids[item.source_record_id], "subject_id": subject_id, "assessment_id": assessment_id,
                "source_system": item.source_system, "source_record_id": item.source_record_id,
                "category": item.category.value, "title": sealed[2 * i], "effective_date": item.effective_date,
                "retrieved_at": item.retrieved_at, "media_type": item.media_type, "content_hash": item.content_hash,
                "sensitivity": item.sensitivity.value if item.sensitivity else "standard", "content": sealed[2 * i + 1],
                "purpose": purpose, "holder_organisation_id": holder,
                "consent_id": ground.consent_id, "consent_version": ground.consent_version,
                "written_for": item.written_for, "gathered_by_user_id": who.user_id,
            })
        repository.insert_new(session, values)
        held |= {row.source_record_id: row for row in repository.items_by_source_ids(
            session, subject_id, source_system, [i.source_record_id for i in new], with_content=False)}
    released, to_open = [], []
    for item in sorted(items, key=lambda i: i.source_record_id):
        row = held[item.source_record_id]
        if row.content_hash == item.content_hash:
            released.append(Released(row, item.title, None if item.content is None else dict(item.content), item.document,
                                     new=row.id == ids.get(item.source_record_id),
                                     release=releases[item.source_record_id]))
        else:
            to_open.append(row.id)
    if to_open:
        rows = repository.items_by_ids(session, to_open)
        released += _open(encryption, session, rows, [releases[r.source_record_id] for r in rows])
    return released


@dataclass
class BundleResult:
    served: list[Released]
    not_served: list[Withheld]


def bundle(session: Session, who: Principal, encryption: RecordEncryption, subject_id: uuid.UUID, purpose: str,
           case_reference: str | None, assessment_id: uuid.UUID | None = None) -> BundleResult:
    """The stored items the caller's organisation may see now, for ``purpose`` (and the case
    ``assessment_id``): each item is decided again by the release policy, so an item whose
    permission has been withdrawn is no longer served (unless another basis covers it), a
    permission narrowed to named documents serves those only, and the categories not served are
    listed with the reason.  The child is held first (``repository.hold_subject``) and "now" is
    taken after, as a withdrawal and a gather's commit do: a read started after a withdrawal has
    committed serves nothing that rested only on it, and one decided before it is ordered before it."""
    if who.organisation_id is None:
        raise Forbidden("Only staff of an organisation may read a gathered bundle.")
    repository.hold_subject(session, subject_id)
    at = utcnow()
    to = recipient_of(session, who, subject_id, purpose, at, assessment_id)
    rows = repository.stored_items(session, subject_id, None, None)
    by_holder: dict[uuid.UUID, list[GatheredItem]] = {}
    for row in rows:
        by_holder.setdefault(row.holder_organisation_id, []).append(row)
    not_served: dict[str, str] = {}
    served_rows: list[tuple[GatheredItem, Release]] = []
    events = []
    for holder, held in by_holder.items():
        rulings = release_policy.decide(session, to, holder, sorted({r.category for r in held}))
        events.append(_decision_event(who, subject_id, purpose, case_reference, holder, at, rulings))
        served_rows += released_rows({r.category: r for r in rulings if r.may_release_any}, held)
        for r in rulings:
            if not r.may_release_any:
                not_served.setdefault(r.category, r.withheld_reason)
    served_categories = {row.category for row, _ in served_rows}
    withdrawn = consent_repository.withdrawn_categories(session, subject_id, who.organisation_id, purpose, at)
    for category, withdrawn_at in withdrawn.items():
        if category not in served_categories and category not in not_served:
            not_served[category] = (
                f"The permission that covered {DATA_CATEGORIES[category].label} was withdrawn on "
                f"{withdrawn_at:%-d %B %Y}: nothing more is served under it, and copies held only under it "
                "have been erased.")
    served_rows.sort(key=lambda pair: (pair[0].source_system, pair[0].source_record_id))
    served = _open(encryption, session, [row for row, _ in served_rows], [r for _, r in served_rows])
    events.append(catalogue.bundle_served(
        who, subject_id=subject_id, purpose=purpose, case_reference=case_reference,
        items=[{"id": str(r.item.id), "content_hash": r.item.content_hash,
                "basis": r.release.basis.value if r.release and r.release.basis else None} for r in served],
        not_served_categories=sorted(not_served)))
    record_many(session, events)
    return BundleResult(served, [Withheld(c, reason) for c, reason in sorted(not_served.items())])


def check_purpose(who: Principal, organisation_kind: str | None, purpose: Purpose) -> None:
    """Refuse a purpose the caller's organisation may not act for."""
    if not purpose_permitted(organisation_kind, purpose):
        raise Forbidden("Your organisation may not request records for this purpose.")
