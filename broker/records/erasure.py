"""Erasing stored record items: those past their retention deadline, and those left without any
permission once the family withdrew the one they were held under.

An item is *held under* a permission while a version in force covers its holder and data
category (for any recipient or purpose: another team's permission keeps an item the bundle may
still serve).  When the last such permission is withdrawn, the item's deadline is the withdrawal
plus ``BROKER_WITHDRAWAL_GRACE_DAYS`` (``broker.records.retention.retention_deadline``).

Erasing deletes the item rows and then re-keys the child: the remaining items are sealed again
under a fresh data key and the old key is destroyed (or, when nothing remains, the key is simply
destroyed), so copies of the erased items in backups are as unreadable as after ``broker keys
shred`` once the KEK is rotated away.  Each erasure is audited (``records.erased``: item ids,
counts and the reason, never contents) in the same transaction; the audit log itself is never
touched.  A run that finds nothing to erase changes nothing and writes nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import delete, select, text, update
from sqlalchemy.orm import Session

from adapters.models import EpPaperDocument
from broker.assessments.models import Assessment
from broker.audit_trail import auditing, catalogue
from broker.auth import Principal
from broker.gathering.models import TABLE, GatheredItem
from broker.permissions import consent_actions
from broker.platform.db import Database
from broker.platform.settings import Settings
from broker.records.encryption import repository as key_repository
from broker.records.encryption.documents import FIELD as PAPER_FIELD
from broker.records.encryption.documents import TABLE as PAPER_TABLE
from broker.records.encryption.service import RecordEncryption, RecordShredded, SealedField
from broker.records.retention import has_expired, retention_deadline, rule_for
from consent import service as consent_service
from consent.models import utcnow
from consent.schemas import ConsentRead, ConsentWithdraw, Status

WITHDRAWN = "permission_withdrawn"
RETENTION = "retention_expired"
Coverage = tuple[uuid.UUID, str]


@dataclass(frozen=True)
class Expired:
    """One stored item whose deadline has passed, and why (identifiers only)."""

    item_id: uuid.UUID
    subject_id: uuid.UUID
    reason: str
    deadline: datetime
    rule: str


@dataclass
class Permissions:
    """What a child's permissions cover now, and when each (holder, category) was last withdrawn."""

    covered: set[Coverage] = field(default_factory=set)
    withdrawn_at: dict[Coverage, datetime] = field(default_factory=dict)


def permissions_of(session: Session, subject_id: uuid.UUID, at: datetime) -> Permissions:
    """The (holder, category) pairs a permission in force covers at ``at``, and the latest
    withdrawal of each pair a withdrawn permission covered."""
    found = Permissions()
    for consent in consent_service.list_consents(session, consent_service.AUTOMATIC, subject_id, at):
        _add(found, consent, at)
    return found


def _add(found: Permissions, consent: ConsentRead, at: datetime) -> None:
    scopes = {v.version: {(s.holder_organisation_id, s.data_category) for s in v.scope} for v in consent.versions}
    for version in consent.versions:
        if version.status is Status.active and version.valid_from <= at and version.recorded_at <= at:
            found.covered |= scopes[version.version]
    for event in consent.status_history:
        if event.status is Status.withdrawn and event.effective_at <= at:
            for pair in scopes[event.version]:
                if pair not in found.withdrawn_at or found.withdrawn_at[pair] < event.effective_at:
                    found.withdrawn_at[pair] = event.effective_at


def expired_items(
    session: Session, settings: Settings, at: datetime, *, subject_ids: Iterable[uuid.UUID] | None = None,
) -> list[Expired]:
    """Every stored item (of ``subject_ids``, or of every child) whose deadline is at or before ``at``."""
    query = (
        select(GatheredItem.id, GatheredItem.subject_id, GatheredItem.purpose, GatheredItem.category,
               GatheredItem.holder_organisation_id, GatheredItem.retrieved_at, GatheredItem.consent_id,
               Assessment.closed_at)
        .outerjoin(Assessment, Assessment.id == GatheredItem.assessment_id)
        .order_by(GatheredItem.subject_id, GatheredItem.id)
    )
    if subject_ids is not None:
        query = query.where(GatheredItem.subject_id.in_(list(subject_ids)))
    grace = timedelta(days=settings.withdrawal_grace_days)
    permissions: dict[uuid.UUID, Permissions] = {}
    expired = []
    for row in session.execute(query):
        if row.subject_id not in permissions:
            permissions[row.subject_id] = permissions_of(session, row.subject_id, at)
        held = permissions[row.subject_id]
        pair = (row.holder_organisation_id, row.category)
        # An item released on the statutory footing (no permission) is kept by its retention rule
        # alone: a withdrawn permission that happened to cover the same records does not erase it.
        on_permission = row.consent_id is not None
        withdrawn_at = held.withdrawn_at.get(pair) if on_permission and pair not in held.covered else None
        deadline = retention_deadline(
            row.purpose, row.category, rules=settings.retention_rules, case_closed_at=row.closed_at,
            retrieved_at=row.retrieved_at, permission_withdrawn_at=withdrawn_at, withdrawal_grace=grace,
        )
        if deadline is None or not has_expired(deadline, at):
            continue
        by_withdrawal = withdrawn_at is not None and deadline == withdrawn_at + grace
        rule = rule_for(row.purpose, row.category, settings.retention_rules)
        expired.append(Expired(
            row.id, row.subject_id, WITHDRAWN if by_withdrawal else RETENTION, deadline,
            "withdrawal" if by_withdrawal else f"{rule.purpose}/{rule.category}",
        ))
    return expired


def erase_items(
    session: Session, encryption: RecordEncryption, subject_id: uuid.UUID, expired: Sequence[Expired], *,
    who: Principal | None = None, actor_username: str = "broker", actor_role: str = "system",
) -> int:
    """Delete ``expired`` items of one child, re-key what remains, and audit it; returns how many
    rows were deleted (none if another run got there first, and then nothing is audited)."""
    ids = [e.item_id for e in expired if e.subject_id == subject_id]
    if not ids:
        return 0
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text("PRAGMA secure_delete=ON"))
    key_repository.lock_live_keys(session, subject_id)
    deleted = list(session.scalars(
        delete(GatheredItem).where(GatheredItem.id.in_(ids)).returning(GatheredItem.id)
        .execution_options(synchronize_session=False)))
    if not deleted:
        return 0
    destroyed = _rekey(session, encryption, subject_id)
    gone = set(deleted)
    reasons = sorted({e.reason for e in expired if e.item_id in gone})
    by = who or catalogue.Operator(actor_username, actor_role)
    auditing.record(session, catalogue.records_erased(
        by, subject_id=subject_id, reason=", ".join(reasons),
        details={
            "items_erased": len(deleted),
            "items": sorted(
                ({"id": str(e.item_id), "reason": e.reason, "rule": e.rule, "deadline": e.deadline.isoformat()}
                 for e in expired if e.item_id in gone), key=lambda entry: entry["id"]),
            "data_keys_destroyed": [str(k) for k in destroyed],
        },
    ))
    return len(deleted)


def _rekey(session: Session, encryption: RecordEncryption, subject_id: uuid.UUID) -> list[uuid.UUID]:
    """Seal the child's remaining items and scanned paper reports under a fresh data key and
    destroy the old one."""
    remaining = list(session.scalars(
        select(GatheredItem).where(GatheredItem.subject_id == subject_id).order_by(GatheredItem.id)
        .execution_options(populate_existing=True)))
    scans = list(session.scalars(
        select(EpPaperDocument).where(EpPaperDocument.person_id == subject_id).order_by(EpPaperDocument.id)
        .execution_options(populate_existing=True)))
    fields = []
    for row in remaining:
        fields += [SealedField(TABLE, row.id, "title", row.title), SealedField(TABLE, row.id, "content", row.content)]
    fields += [SealedField(PAPER_TABLE, scan.id, PAPER_FIELD, scan.content) for scan in scans]
    try:
        opened = encryption.open_many(session, subject_id, fields) if fields else []
    except RecordShredded:
        opened = None  # already erased: the rows left are unreadable and stay so
    destroyed = key_repository.destroy_live_keys(session, subject_id, utcnow())
    encryption.forget(*destroyed)
    if opened:
        resealed = encryption.seal_many(session, subject_id, [
            SealedField(f.table, f.row_id, f.field, value) for f, value in zip(fields, opened, strict=True)])
        if remaining:
            session.execute(update(GatheredItem), [
                {"id": row.id, "title": resealed[2 * i], "content": resealed[2 * i + 1]}
                for i, row in enumerate(remaining)])
        offset = 2 * len(remaining)
        if scans:
            session.execute(update(EpPaperDocument), [
                {"id": scan.id, "content": resealed[offset + i]} for i, scan in enumerate(scans)])
    return destroyed


@dataclass
class RetentionRun:
    """What one ``broker retention apply`` did (or, with ``dry_run``, would do)."""

    at: datetime
    dry_run: bool
    expired: list[Expired]
    erased: int = 0
    subjects: int = 0


def apply_retention(
    database: Database, settings: Settings, encryption: RecordEncryption, at: datetime, *,
    dry_run: bool = False, progress: Callable[[int, int, uuid.UUID, int], None] | None = None,
) -> RetentionRun:
    """Erase every stored item whose deadline has passed at ``at``: one transaction per child, so an
    interrupted run keeps what it did and the next run carries on.  Safe to run daily and twice."""
    with database.sessions() as session:
        expired = expired_items(session, settings, at)
    run = RetentionRun(at, dry_run, expired)
    by_subject: dict[uuid.UUID, list[Expired]] = {}
    for item in expired:
        by_subject.setdefault(item.subject_id, []).append(item)
    for number, (subject_id, items) in enumerate(by_subject.items(), start=1):
        erased = 0
        if not dry_run:
            with database.unit_of_work() as session:
                # Checked again inside the transaction: a permission granted meanwhile keeps the item.
                still = {e.item_id for e in expired_items(session, settings, at, subject_ids=[subject_id])}
                erased = erase_items(session, encryption, subject_id, [e for e in items if e.item_id in still],
                                     actor_username="broker retention apply")
            run.erased += erased
            run.subjects += 1 if erased else 0
        if progress is not None:
            progress(number, len(by_subject), subject_id, len(items) if dry_run else erased)
    return run


def erase_after_withdrawal(
    session: Session, settings: Settings, encryption: RecordEncryption, who: Principal, consent: ConsentRead,
    at: datetime | None = None,
) -> int:
    """In the withdrawal's own transaction: with no grace period, erase at once the child's items
    that the withdrawn permission was the last to cover (with a grace period, ``broker retention
    apply`` erases them once it has passed)."""
    if settings.withdrawal_grace_days:
        return 0
    at = at or utcnow()
    items = [e for e in expired_items(session, settings, at, subject_ids=[consent.subject_id]) if e.reason == WITHDRAWN]
    return erase_items(session, encryption, consent.subject_id, items, who=who)


def withdraw(
    session: Session, who: Principal, consent_id: uuid.UUID, data: ConsentWithdraw, settings: Settings,
    encryption: RecordEncryption,
) -> ConsentRead:
    """Withdraw a permission (``broker.permissions.consent_actions.withdraw``) and, in the same transaction,
    erase what it alone held when there is no grace period."""
    consent = consent_actions.withdraw(session, who, consent_id, data)
    erase_after_withdrawal(session, settings, encryption, who, consent)
    return consent
