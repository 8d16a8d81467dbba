"""Key-encryption key rotation, retirement and status: the rules behind ``broker keys``.

Rotation re-wraps every live data key under the current KEK, in batches of one committed
transaction each, and never touches the sealed items (their data keys do not change).  It is:

* resumable: the work left is exactly the live keys not yet under the current KEK, so a rotation
  killed at any point loses nothing (its open batch rolls back) and running it again finishes it;
* safe while the service runs: both KEKs stay configured during the rotation, a reader reads a
  key's wrapping and its KEK id together in one row, and a re-wrap is written only if the key is
  still live and still under the KEK it was read under (a key destroyed meanwhile stays destroyed).

After every process runs with the new current KEK and a rotation has finished, ``retire`` records
the old KEK as retired (and removes it from the development key file): only then may it be
deleted, which is what makes a shredded subject unreadable in old backups too.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from broker.platform.db import Database
from broker.platform.keys import KeyUnavailable
from broker.records.encryption import repository
from broker.records.encryption.envelope import unwrap_data_key, wrap_data_key
from broker.records.encryption.keyring import Keyring, fingerprint
from broker.records.encryption.models import KeyEncryptionKeyRecord
from broker.records.encryption.service import register_kek
from consent.models import utcnow


class RetirementRefused(RuntimeError):
    """A KEK cannot be retired yet; the message says why and what to do."""


@dataclass
class RotationProgress:
    target_kek_id: str
    total: int
    rewrapped: int = 0
    batches: int = 0
    skipped_unknown_kek: dict[str, int] = field(default_factory=dict)

    @property
    def remaining(self) -> int:
        return max(self.total - self.rewrapped, 0)


def verify_keyring(session: Session, keyring: Keyring) -> None:
    """Refuse a configuration whose KEK bytes differ from what the database recorded for the id."""
    for record in repository.kek_records(session):
        kek = keyring.keys.get(record.id)
        if kek is not None and fingerprint(kek) != record.fingerprint:
            raise KeyUnavailable(
                f"KEK {record.id!r} is configured with other bytes than the key the database knows by that id"
            )


def _pending(session: Session, keyring: Keyring) -> tuple[int, dict[str, int]]:
    counts = repository.live_key_counts_by_kek(session)
    pending = sum(n for kek_id, n in counts.items() if kek_id != keyring.current_id and kek_id in keyring.keys)
    unknown = {kek_id: n for kek_id, n in counts.items() if kek_id not in keyring.keys}
    return pending, unknown


def rotate(
    database: Database,
    keyring: Keyring,
    *,
    batch_size: int = 500,
    throttle_seconds: float = 0.0,
    on_batch: Callable[[RotationProgress], None] | None = None,
) -> RotationProgress:
    """Re-wrap every live data key held under another configured KEK under the current one."""
    target_id, target = keyring.current()
    with database.unit_of_work() as session:
        verify_keyring(session, keyring)
        register_kek(session, target_id, target)
        total, unknown = _pending(session, keyring)
    progress = RotationProgress(target_kek_id=target_id, total=total, skipped_unknown_kek=unknown)
    sources = [kek_id for kek_id in keyring.keys if kek_id != target_id]
    while sources:
        with database.unit_of_work() as session:
            rows = repository.keys_to_rewrap(session, target_id, sources, batch_size)
            now = utcnow()
            rewraps = [
                {
                    "key_id": row.id, "old_kek_id": row.kek_id, "new_kek_id": target_id, "now": now,
                    "new_wrapped_key": wrap_data_key(
                        target, target_id, row.subject_id, row.purpose,
                        unwrap_data_key(keyring.get(row.kek_id), row.kek_id, row.subject_id, row.purpose, row.wrapped_key),
                    ),
                }
                for row in rows
            ]
            progress.rewrapped += repository.replace_wrappings(session, rewraps)
        if not rows:
            break
        progress.batches += 1
        if on_batch is not None:
            on_batch(progress)
        if throttle_seconds:
            time.sleep(throttle_seconds)
    return progress


@dataclass(frozen=True)
class KekStatus:
    kek_id: str
    configured: bool
    current: bool
    fingerprint: str | None
    fingerprint_matches: bool | None
    live_data_keys: int
    retired_at: str | None


@dataclass(frozen=True)
class KeyStatus:
    keks: list[KekStatus]
    live_data_keys: int
    destroyed_data_keys: int
    source: str


def key_status(session: Session, keyring: Keyring) -> KeyStatus:
    """Every KEK configured or known to the database, with the live data keys under each."""
    counts = repository.live_key_counts_by_kek(session)
    records = {r.id: r for r in repository.kek_records(session)}
    ids = list(dict.fromkeys([*records, *keyring.keys, *(k for k in counts if k is not None)]))
    keks = []
    for kek_id in ids:
        record, kek = records.get(kek_id), keyring.keys.get(kek_id)
        keks.append(KekStatus(
            kek_id=kek_id,
            configured=kek is not None,
            current=kek_id == keyring.current_id,
            fingerprint=fingerprint(kek) if kek is not None else (record.fingerprint if record else None),
            fingerprint_matches=(fingerprint(kek) == record.fingerprint) if (kek is not None and record) else None,
            live_data_keys=counts.get(kek_id, 0),
            retired_at=record.retired_at.isoformat() if record and record.retired_at else None,
        ))
    return KeyStatus(
        keks=keks, live_data_keys=sum(counts.values()),
        destroyed_data_keys=repository.destroyed_key_count(session), source=keyring.source,
    )


def retire(session: Session, keyring: Keyring, kek_id: str) -> KeyEncryptionKeyRecord:
    """Record ``kek_id`` as retired; refused while it is current or any live data key uses it."""
    if kek_id == keyring.current_id:
        raise RetirementRefused(f"KEK {kek_id!r} is the current KEK; make another current and rotate first")
    in_use = repository.live_key_counts_by_kek(session).get(kek_id, 0)
    if in_use:
        raise RetirementRefused(
            f"{in_use} data key(s) are still wrapped under KEK {kek_id!r}; run `broker keys rotate` "
            "(on every process configured with the new current KEK) and try again"
        )
    record = repository.kek_record(session, kek_id)
    if record is None:
        kek = keyring.keys.get(kek_id)
        if kek is None:
            raise RetirementRefused(f"no KEK {kek_id!r} is configured or known to the database")
        repository.insert_kek_record_if_missing(session, kek_id, fingerprint(kek))
        record = repository.kek_record(session, kek_id)
        assert record is not None
    if record.retired_at is None:
        record.retired_at = utcnow()
        session.flush()
    return record
