"""Sealing stored record items under their subject's data key, and erasing by destroying it.

The gather flow calls, inside the request's unit of work::

    sealed = encryption.seal(session, subject_id, "record_items", item.id, "content", content)
    content = encryption.open(session, subject_id, "record_items", item.id, "content", sealed)

and for a whole bundle, reading the subject's key once, ``seal_many`` / ``open_many`` with
``SealedField(table, row_id, field, value)``.

``encryption`` is the app's ``RecordEncryption`` (``request.app.state.record_encryption``, or
``RecordEncryptionDep`` in a route).  A sealed value is bound to its table, row id and field (see
``broker.records.encryption.envelope``); opening it anywhere else fails with ``RecordUnreadable``.  Once
the subject's data key is destroyed (``shred_subject``), opening raises ``RecordShredded``, which
the API answers as 410 "This record has been erased".

Data keys are cached unwrapped in memory (at most ``BROKER_DATA_KEY_CACHE_SIZE``), but every seal
and open first reads the key's row, so a key destroyed by any process is never used again.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import Engine, Row, text
from sqlalchemy.orm import Session

from broker.audit_trail import auditing, catalogue
from broker.platform.errors import BrokerError, InvalidInput, NotFound
from broker.platform.keys import KeyUnavailable
from broker.platform.settings import Settings
from broker.records.encryption import repository
from broker.records.encryption.envelope import (
    DATA_KEY_PURPOSE,
    SealBroken,
    new_data_key,
    open_field,
    seal_field,
    sealed_key_id,
    unwrap_data_key,
    wrap_data_key,
)
from broker.records.encryption.keyring import Keyring, fingerprint, load_keyring
from consent.models import Person, utcnow

log = logging.getLogger(__name__)


class RecordShredded(BrokerError):
    """The subject's data key was destroyed: the record is erased and can never be read again."""

    status = 410
    title = "This record has been erased"

    def __init__(self) -> None:
        super().__init__(
            "This record has been erased under the council's retention or erasure rules "
            "and can no longer be read."
        )


class RecordUnreadable(BrokerError):
    """A stored ciphertext failed its integrity check: altered, moved to another row, or keyless."""

    status = 500
    title = "This record cannot be read"

    def __init__(self) -> None:
        super().__init__("This record failed its integrity check and has not been shown. It has been reported.")


def _unreadable(table: str, row_id: object, field: str, why: str) -> RecordUnreadable:
    # Identifiers only: never the ciphertext, key or contents.
    log.error("stored record unreadable", extra={"table": table, "row_id": str(row_id), "field": field, "why": why})
    return RecordUnreadable()


@dataclass(frozen=True)
class SealedField:
    """One field of one row: ``value`` is the plaintext to seal, or the sealed bytes to open."""

    table: str
    row_id: uuid.UUID | str
    field: str
    value: bytes


@dataclass(frozen=True)
class _DataKey:
    id: uuid.UUID
    key: bytes


class RecordEncryption:
    """Seals and opens stored fields; holds the KEKs and a bounded cache of unwrapped data keys."""

    def __init__(
        self, keyring: Keyring, *, cache_size: int = 1024, purpose: str = DATA_KEY_PURPOSE,
        reload: Callable[[str], Keyring] | None = None,
    ) -> None:
        self.keyring = keyring
        self._reload = reload
        self.purpose = purpose
        self._cache_size = cache_size
        self._cache: OrderedDict[uuid.UUID, bytes] = OrderedDict()
        self._lock = threading.Lock()
        self._registered_keks: set[str] = set()

    @classmethod
    def from_settings(cls, settings: Settings) -> RecordEncryption:
        return cls(
            load_keyring(settings), cache_size=settings.data_key_cache_size,
            reload=lambda current: load_keyring(settings, fallback_current=current),
        )

    # -- the API the gather flow uses ------------------------------------------------------------

    def seal(
        self, session: Session, subject_id: uuid.UUID, table: str, row_id: uuid.UUID | str, field: str,
        plaintext: bytes,
    ) -> bytes:
        """Encrypt ``plaintext`` for ``table``.``field`` of row ``row_id``, under the subject's data key.

        Creates the subject's data key (wrapped under the current KEK) on first use, and a fresh one
        after the previous was destroyed.
        """
        data_key = self._live_data_key(session, subject_id)
        return seal_field(data_key.key, data_key.id, table, str(row_id), field, plaintext)

    def open(
        self, session: Session, subject_id: uuid.UUID, table: str, row_id: uuid.UUID | str, field: str,
        sealed: bytes,
    ) -> bytes:
        """Decrypt a value sealed for exactly this subject, table, row and field.

        Raises ``RecordShredded`` when the subject's data key was destroyed and ``RecordUnreadable``
        when the value was altered or belongs elsewhere.
        """
        return self.open_many(session, subject_id, [SealedField(table, row_id, field, sealed)])[0]

    def seal_many(
        self, session: Session, subject_id: uuid.UUID, fields: Iterable[SealedField],
    ) -> list[bytes]:
        """``seal`` for several fields of one subject (a gathered bundle), reading the key once."""
        data_key = self._live_data_key(session, subject_id)
        return [
            seal_field(data_key.key, data_key.id, f.table, str(f.row_id), f.field, f.value) for f in fields
        ]

    def open_many(
        self, session: Session, subject_id: uuid.UUID, fields: Iterable[SealedField],
    ) -> list[bytes]:
        """``open`` for several fields of one subject, reading each data key once.

        Raises ``RecordShredded`` if any of them was sealed under a destroyed key.
        """
        rows: dict[uuid.UUID, Row] = {}
        opened = []
        for f in fields:
            try:
                key_id = sealed_key_id(f.value)
            except SealBroken:
                raise _unreadable(f.table, f.row_id, f.field, "not a sealed value") from None
            if key_id not in rows:
                rows[key_id] = self._usable_key_row(session, subject_id, key_id, f)
            try:
                opened.append(open_field(self._unwrapped(rows[key_id]), f.table, str(f.row_id), f.field, f.value))
            except SealBroken:
                raise _unreadable(f.table, f.row_id, f.field, "failed its integrity check") from None
        return opened

    def forget(self, *key_ids: uuid.UUID) -> None:
        """Drop data keys from the cache (done on every destruction this process sees)."""
        with self._lock:
            for key_id in key_ids:
                self._cache.pop(key_id, None)

    def cached_key_ids(self) -> set[uuid.UUID]:
        with self._lock:
            return set(self._cache)

    # -- internals ---------------------------------------------------------------------------------

    def _unwrapped(self, row: Row) -> bytes:
        with self._lock:
            cached = self._cache.get(row.id)
            if cached is not None:
                self._cache.move_to_end(row.id)
                return cached
        try:
            key = unwrap_data_key(self._kek(row.kek_id), row.kek_id, row.subject_id, row.purpose, row.wrapped_key)
        except SealBroken:
            raise _unreadable("subject_data_keys", row.id, "wrapped_key", "failed its integrity check") from None
        if self._cache_size:
            with self._lock:
                self._cache[row.id] = key
                while len(self._cache) > self._cache_size:
                    self._cache.popitem(last=False)
        return key

    def _usable_key_row(self, session: Session, subject_id: uuid.UUID, key_id: uuid.UUID, f: SealedField) -> Row:
        row = repository.data_key_by_id(session, key_id)
        if row is None or row.subject_id != subject_id or row.purpose != self.purpose:
            raise _unreadable(f.table, f.row_id, f.field, "sealed under another subject's key or an unknown key")
        if row.destroyed_at is not None:
            self.forget(key_id)
            raise RecordShredded()
        return row

    def _kek(self, kek_id: str) -> bytes:
        # A rotation run elsewhere may have re-wrapped this key under a KEK added to the key file
        # after this process started: read the configuration again once before giving up.
        if kek_id not in self.keyring.keys and self._reload is not None:
            self.keyring = self._reload(self.keyring.current_id)
        return self.keyring.get(kek_id)

    def _live_data_key(self, session: Session, subject_id: uuid.UUID) -> _DataKey:
        row = repository.live_data_key(session, subject_id, self.purpose)
        if row is None:
            row = self._create_data_key(session, subject_id)
        return _DataKey(row.id, self._unwrapped(row))

    def _create_data_key(self, session: Session, subject_id: uuid.UUID) -> Row:
        if session.get(Person, subject_id) is None:
            raise NotFound("No such subject.")
        kek_id, kek = self.keyring.current()
        register_kek(session, kek_id, kek, known=self._registered_keks)
        repository.insert_data_key_if_none_live(session, {
            "id": uuid.uuid4(), "subject_id": subject_id, "purpose": self.purpose, "kek_id": kek_id,
            "wrapped_key": wrap_data_key(kek, kek_id, subject_id, self.purpose, new_data_key()),
            "created_at": utcnow(),
        })
        row = repository.live_data_key(session, subject_id, self.purpose)
        assert row is not None
        return row


def register_kek(session: Session, kek_id: str, kek: bytes, *, known: set[str] | None = None) -> None:
    """Record that ``kek_id`` wraps data keys; refuse bytes that differ from the recorded ones.

    This catches a misconfigured process (same id, other key) before it wraps anything, and
    refuses to wrap under a retired KEK.
    """
    if known is not None and kek_id in known:
        return
    record = repository.kek_record(session, kek_id)
    if record is None:
        repository.insert_kek_record_if_missing(session, kek_id, fingerprint(kek))
        record = repository.kek_record(session, kek_id)
        assert record is not None
    if record.fingerprint != fingerprint(kek):
        raise KeyUnavailable(f"KEK {kek_id!r} is configured with other bytes than the key the database knows by that id")
    if record.retired_at is not None:
        raise KeyUnavailable(f"KEK {kek_id!r} was retired; configure a new current KEK")
    if known is not None:
        known.add(kek_id)


def shred_subject(
    session: Session, encryption: RecordEncryption, subject_id: uuid.UUID, *, reason: str,
    actor_username: str | None = None, actor_role: str | None = None,
) -> list[uuid.UUID]:
    """Destroy the subject's data keys: every item sealed under them becomes unreadable at once.

    Audited as ``records.shredded`` (identifiers only).  Returns the destroyed key ids (empty when
    nothing was stored; the erasure is still audited).  On SQLite the freed bytes are overwritten.
    """
    if not reason.strip():
        raise InvalidInput("A reason is required to erase a subject's records.")
    if session.get(Person, subject_id) is None:
        raise NotFound("No such subject.")
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text("PRAGMA secure_delete=ON"))
    destroyed = repository.destroy_live_keys(session, subject_id, utcnow())
    encryption.forget(*destroyed)
    by = catalogue.Operator(actor_username or "broker", actor_role or "system")
    auditing.record(session, catalogue.records_shredded(by, subject_id=subject_id, reason=reason,
                                                        data_key_ids=destroyed))
    return destroyed


def purge_write_ahead_log(engine: Engine) -> None:
    """After a shred has committed on SQLite, fold the write-ahead log into the file and empty it,
    so the destroyed wrapped key survives in neither (secure_delete zeroed its old place)."""
    if engine.dialect.name == "sqlite":
        with engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")


def get_record_encryption(request: Request) -> RecordEncryption:
    return request.app.state.record_encryption


RecordEncryptionDep = Annotated[RecordEncryption, Depends(get_record_encryption)]
