"""Information governance over the audit log: search, read, export, release, verify and report.

One place for what the IG pages, the API and the command line do with the log, so each of them
parses its input, calls one of these and renders the answer.  Every search, look-up, export,
verification and report is itself recorded in the log.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from typing import Any, TextIO

from sqlalchemy.orm import Session

from audit import repository as audit_repository
from audit import service as audit_service
from audit.models import AuditCheckpoint, AuditEntry
from audit.verification import VerificationReport, verify_log
from broker.audit_trail import auditing, catalogue
from broker.audit_trail import repository as lookups
from broker.auth.principal import Principal
from broker.platform.db import Database, read_one_snapshot
from broker.platform.errors import InvalidInput
from broker.platform.settings import Settings


@dataclass(frozen=True)
class AuditSearch:
    """The filters of a search of the log; every one given must match."""

    subject_id: str | None = None
    actor_user_id: str | None = None
    actor_organisation_id: str | None = None
    event_types: tuple[str, ...] = ()
    since: datetime | None = None
    until: datetime | None = None

    def described(self) -> dict[str, Any]:
        """The filters given, as the log's entry about the search records them."""
        values: dict[str, Any] = {
            "subject_id": self.subject_id, "actor_user_id": self.actor_user_id,
            "actor_organisation_id": self.actor_organisation_id, "event_types": list(self.event_types),
            "since": self.since, "until": self.until,
        }
        return {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in values.items() if v}


def day_range(since: date | None, until: date | None) -> tuple[datetime | None, datetime | None]:
    """The instants from the start of ``since`` to the end of ``until`` (both days included), in UTC."""
    return (datetime.combine(since, clock.min, UTC) if since else None,
            datetime.combine(until + timedelta(days=1), clock.min, UTC) if until else None)


def find_entries(session: Session, search: AuditSearch, *, after_seq: int | None = None,
                 seqs_below: int | None = None, limit: int | None = None) -> list[AuditEntry]:
    """Entries matching ``search`` in sequence order (not recorded: for callers that record their own event)."""
    return audit_repository.find_entries(
        session, subject_id=search.subject_id, actor_user_id=search.actor_user_id,
        actor_organisation_id=search.actor_organisation_id, event_types=list(search.event_types) or None,
        since=search.since, until=search.until, after_seq=after_seq, seqs_below=seqs_below, limit=limit,
    )


def user_id_for(session: Session, username: str) -> str | None:
    """The user id the log holds for ``username``, or None when there is no such user."""
    found = lookups.user_id_by_username(session, username)
    return str(found) if found else None


def organisation_id_for(session: Session, code: str) -> str | None:
    """The organisation id the log holds for an organisation ``code`` (any case), or None."""
    found = lookups.organisation_id_by_code(session, code)
    return str(found) if found else None


@dataclass
class EntryPage:
    entries: list[AuditEntry]
    more: bool


def search_entries(session: Session, caller: Principal, search: AuditSearch, *, after_seq: int | None,
                   limit: int) -> EntryPage:
    """A page of at most ``limit`` entries after ``after_seq`` matching ``search``; the search is recorded."""
    entries = find_entries(session, search, after_seq=after_seq, limit=limit + 1)
    page = EntryPage(entries[:limit], len(entries) > limit)
    auditing.record(session, catalogue.audit_searched(
        caller, filters=search.described() | {"results": len(page.entries)}))
    return page


def read_entry(session: Session, caller: Principal, seq: int) -> AuditEntry:
    """One entry by its number (NotFound when there is none); the look-up is recorded."""
    entry = audit_service.get_entry(session, seq)
    auditing.record(session, catalogue.audit_searched(caller, filters={"seq": seq}))
    return entry


def export_entries(session: Session, caller: Principal, settings: Settings, search: AuditSearch, out: TextIO,
                   fmt: str, *, limit: int | None = None) -> int:
    """Write the entries matching ``search`` with their inclusion proofs in a checkpoint signed now
    (JSON Lines or CSV) to ``out``; the export is recorded.  Returns how many were written."""
    if fmt not in ("jsonl", "csv"):
        raise InvalidInput("Choose JSON Lines or CSV.")
    checkpoint = auditing.sign_checkpoint(session, settings)
    entries = find_entries(session, search, seqs_below=checkpoint.tree_size, limit=limit)
    count = auditing.export_entries(session, entries, checkpoint, settings, out, fmt)
    auditing.record(session, catalogue.audit_exported(
        caller, filters=search.described() | {"results": count, "format": fmt}))
    return count


def release_entry(session: Session, caller: Principal, seq: int) -> None:
    """Let the family see a safeguarding access in their child's access log; the release is recorded."""
    entry = audit_service.get_entry(session, seq)
    if entry.subject_id is None:
        raise InvalidInput("This entry is not about a child, so there is nothing to release.")
    auditing.record(session, catalogue.audit_released(caller, subject_id=entry.subject_id, released_seq=seq))


@dataclass
class IntegrityStatus:
    checkpoint: AuditCheckpoint | None
    entries_in_log: int


def integrity_status(session: Session) -> IntegrityStatus:
    """The latest signed checkpoint and how many entries the log holds."""
    return IntegrityStatus(audit_service.latest_checkpoint(session), audit_repository.next_seq(session))


@dataclass
class VerificationRun:
    report: VerificationReport
    seconds: float

    @property
    def rate(self) -> int:
        """Entries checked a second."""
        checked = self.report.entries_checked
        return int(checked / self.seconds) if self.seconds > 0 else checked


def verify_now(database: Database, session: Session, caller: Principal, settings: Settings) -> VerificationRun:
    """Sign a checkpoint over every entry so far, then verify every entry, the stored tree and every
    signed checkpoint in one snapshot; the result is recorded in ``session``'s transaction."""
    with database.unit_of_work() as signing:
        auditing.sign_checkpoint(signing, settings)
    started = time.perf_counter()
    # One snapshot for the whole check: other processes go on appending and extending the tree.
    with database.sessions() as snapshot:
        read_one_snapshot(snapshot)
        report = verify_log(snapshot, auditing.verifier(settings))
    run = VerificationRun(report, time.perf_counter() - started)
    auditing.record(session, catalogue.audit_verified(
        caller, ok=report.ok, entries_checked=report.entries_checked,
        checkpoints_checked=report.checkpoints_checked, first_bad_entry=report.first_bad_entry,
        bad_range=list(report.bad_range) if report.bad_range else None))
    return run


def _median(values: list[int]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return float(ordered[middle]) if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


@dataclass
class AccessReport:
    denials: list[AuditEntry]
    volumes: list[tuple[str, int]]
    median: float
    unusual: list[tuple[str, int]] = field(default_factory=list)


def access_report(session: Session, caller: Principal, since: date, until: date, multiple: float) -> AccessReport:
    """Refusals (outcome deny or refused; never permits, successes or errors) from ``since`` to
    ``until`` (both days included), and the users whose entries about children exceed ``multiple``
    times the median user's; the report is recorded."""
    start, end = day_range(since, until)
    assert start is not None and end is not None  # both days are given
    denials = audit_repository.find_refusals(session, since=start, until=end)
    counts = audit_repository.count_subject_entries_by_actor(session, since=start, until=end)
    median = _median([n for _, n in counts]) if counts else 0
    unusual = [(name, n) for name, n in counts if median and n > multiple * median]
    auditing.record(session, catalogue.audit_reported(caller, since=start.isoformat(), until=end.isoformat(),
                                                      denials=len(denials), unusual_users=len(unusual)))
    return AccessReport(denials, counts, median, unusual)


def current_checkpoint(session: Session, settings: Settings) -> AuditCheckpoint:
    """The latest signed checkpoint, signed anew first when none is recent enough."""
    interval = timedelta(seconds=settings.audit_checkpoint_interval_seconds)
    latest = audit_service.latest_checkpoint(session)
    if latest is None or audit_service.checkpoint_is_due(session, interval):
        latest = auditing.sign_checkpoint(session, settings)
    return latest


@dataclass
class InclusionProof:
    leaf_hash: bytes
    root_hash: bytes
    proof: list[bytes]


def inclusion_proof(session: Session, index: int, tree_size: int) -> InclusionProof:
    """The RFC 9162 inclusion proof of entry ``index`` in the tree of ``tree_size`` entries, with the
    entry's leaf hash and the tree's root."""
    proof = audit_service.inclusion_proof(session, index, tree_size)
    return InclusionProof(audit_service.get_entry(session, index).leaf_hash, audit_service.root_at(session, tree_size),
                          list(proof))


@dataclass
class ConsistencyProof:
    first_root: bytes
    second_root: bytes
    proof: list[bytes]


def consistency_proof(session: Session, first: int, second: int) -> ConsistencyProof:
    """The RFC 9162 consistency proof that the tree of ``first`` entries is a prefix of the tree of
    ``second``, with both roots."""
    proof = audit_service.consistency_proof(session, first, second)
    return ConsistencyProof(audit_service.root_at(session, first), audit_service.root_at(session, second), list(proof))
