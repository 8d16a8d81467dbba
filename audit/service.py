"""Appending to the audit log, in the caller's transaction.

``append`` is called by whatever makes an audited change, inside the same transaction as the
change: if the entry cannot be written the change fails with it, and the entry is only visible
once the change commits.  Services here only flush; the caller commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy.orm import Session

from audit import merkle, notes, repository, tree
from audit.encoding import EVENT_FIELDS, canonical_json, encode_parts, format_timestamp
from audit.errors import NotFound
from audit.events import AuditEvent
from audit.models import AuditCheckpoint, AuditEntry, utcnow


def append(session: Session, event: AuditEvent, *, at: datetime | None = None) -> int:
    """Record ``event`` as the next entry of the log and return its number (``seq``).

    Numbers run 0, 1, 2, ... with no gaps or duplicates even with many concurrent writers: the
    counter row stays locked until the caller's transaction ends, and a rollback returns the
    number.  ``at`` is when it happened (timezone-aware; default now, UTC).
    """
    return append_many(session, [event], at=at).start


def append_many(session: Session, events: Sequence[AuditEvent], *, at: datetime | None = None) -> range:
    """Record ``events`` as consecutive entries (for imports and seeding); return their numbers."""
    recorded_at = at or utcnow()
    if recorded_at.tzinfo is None:
        raise ValueError("naive datetimes are not recorded; use an aware UTC datetime")
    timestamp = format_timestamp(recorded_at)
    prepared = []
    # Everything but the number is encoded before the number is claimed: the claim holds the
    # counter's lock until commit, so the less done after it, the more appenders get through.
    for event in events:
        if not event.event_type or not event.outcome:
            raise ValueError("an audit event needs an event_type and an outcome")
        fields = {name: getattr(event, name) for name in EVENT_FIELDS}
        details = canonical_json(dict(event.details))
        head, tail = encode_parts(timestamp, list(fields.values()), details)
        prepared.append((fields, details, head, tail))
    if not prepared:
        return range(0)
    if len(prepared) == 1:
        fields, details, head, tail = prepared[0]
        values = {**fields, "recorded_at": recorded_at, "details": details}
        seq = repository.claim_and_insert_entry(session, values, head, tail)
        if seq is not None:
            return range(seq, seq + 1)
    first = repository.take_next_seq(session, len(prepared))
    rows = []
    for seq, (fields, details, head, tail) in enumerate(prepared, first):
        leaf = merkle.leaf_hash(f"{head}{seq}{tail}".encode("utf-8"))
        rows.append({**fields, "seq": seq, "recorded_at": recorded_at, "details": details, "leaf_hash": leaf})
    repository.insert_entries(session, rows)
    return range(first, first + len(prepared))


def sign_checkpoint(
    session: Session, private_key: Ed25519PrivateKey, origin: str, *, at: datetime | None = None
) -> AuditCheckpoint:
    """Extend the tree over every entry so far and sign a checkpoint of it (the latest, if no newer).

    The key name in the signature line is the origin, as C2SP logs conventionally do.
    """
    head = tree.extend(session)
    latest = repository.latest_checkpoint(session)
    if latest is not None and latest.tree_size >= head.size:
        return latest
    note = notes.sign_note(notes.checkpoint_body(origin, head.size, head.root), origin, private_key)
    checkpoint = AuditCheckpoint(
        tree_size=head.size, root_hash=head.root, origin=origin, note=note, signed_at=at or utcnow()
    )
    repository.insert_checkpoint(session, checkpoint)
    return checkpoint


def checkpoint_is_due(session: Session, min_interval: timedelta, *, now: datetime | None = None) -> bool:
    """True when entries were appended since the latest checkpoint and it is at least ``min_interval`` old."""
    latest = repository.latest_checkpoint(session)
    if repository.next_seq(session) == (latest.tree_size if latest else 0):
        return False
    return latest is None or (now or utcnow()) - latest.signed_at >= min_interval


def latest_checkpoint(session: Session) -> AuditCheckpoint | None:
    """The newest signed checkpoint, if any has been signed."""
    return repository.latest_checkpoint(session)


def verifier_key(private_key: Ed25519PrivateKey, origin: str) -> str:
    """The C2SP verifier key for checkpoints signed by ``private_key`` under ``origin``."""
    return notes.verifier_key(origin, private_key.public_key())


def get_entry(session: Session, seq: int) -> AuditEntry:
    """Entry ``seq``; :class:`NotFound` if the log has no such entry."""
    entry = repository.get_entry(session, seq)
    if entry is None:
        raise NotFound(f"the audit log has no entry {seq}")
    return entry


def inclusion_proof(session: Session, index: int, tree_size: int) -> list[bytes]:
    """The RFC 9162 inclusion proof of entry ``index`` in the tree of ``tree_size`` entries."""
    return tree.inclusion_proof(session, index, tree_size)


def consistency_proof(session: Session, first: int, second: int) -> list[bytes]:
    """The RFC 9162 consistency proof between the trees of ``first`` and ``second`` entries."""
    return tree.consistency_proof(session, first, second)


def root_at(session: Session, tree_size: int) -> bytes:
    """The root hash of the tree of the first ``tree_size`` entries."""
    return tree.root_at(session, tree_size)
