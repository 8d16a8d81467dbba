"""The broker's side of the audit log: its signing key, its origin, and the checkpoint signer.

Every event is built by ``catalogue`` and ``record`` refuses any other.  ``record`` appends in the caller's transaction (the audited change and its entry commit or fail
together); ``record_separately`` appends in a transaction of its own, for refusals and errors that
must survive the rollback of the request that failed.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import TextIO

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy.orm import Session

from audit import notes, service
from audit.events import AuditEvent
from audit.export import write_export
from audit.models import AuditCheckpoint, AuditEntry
from broker.audit_trail.catalogue import catalogued
from broker.platform.db import Database
from broker.platform.keys import ed25519_key
from broker.platform.settings import Settings

log = logging.getLogger(__name__)

KEY_NAME = "checkpoints"


def signing_key(settings: Settings) -> Ed25519PrivateKey:
    return ed25519_key(settings, KEY_NAME)


def verifier_key(settings: Settings) -> str:
    """The C2SP verifier key for this broker's checkpoints."""
    return service.verifier_key(signing_key(settings), settings.audit_log_origin)


def verifier(settings: Settings) -> notes.Verifier:
    return notes.parse_verifier_key(verifier_key(settings))


def sign_checkpoint(session: Session, settings: Settings) -> AuditCheckpoint:
    """Sign a checkpoint over every entry so far (or return the latest if the log has not grown)."""
    return service.sign_checkpoint(session, signing_key(settings), settings.audit_log_origin)


class UncataloguedEvent(ValueError):
    """An event whose type is not in ``catalogue.EventType``: it would have no words for the family."""


def _catalogued(events: list[AuditEvent]) -> list[AuditEvent]:
    for event in events:
        if catalogued(event.event_type) is None:
            raise UncataloguedEvent(f"{event.event_type!r} is not in the audit event catalogue")
    return events


def record(session: Session, event: AuditEvent) -> int:
    """Append ``event`` in the caller's transaction; return its number.  An event type not in the
    catalogue is refused (:class:`UncataloguedEvent`), and the caller's change fails with it."""
    return service.append(session, _catalogued([event])[0])


def record_many(session: Session, events: Iterable[AuditEvent]) -> range:
    """Append ``events`` as consecutive entries in the caller's transaction (one claim of the
    counter, so its lock is taken once and late); every one must be catalogued."""
    return service.append_many(session, _catalogued(list(events)))


def record_separately(database: Database, event: AuditEvent) -> int:
    """Append ``event`` in a transaction of its own, committed now whatever happens to the caller's.

    Call it once the failed request's transaction has been rolled back (for example in the error
    handler): on SQLite only one transaction writes at a time, so a request still holding its write
    lock would wait on itself.
    """
    with database.unit_of_work() as session:
        return record(session, event)


class Checkpointer:
    """Signs a checkpoint every few seconds while entries are being appended (a daemon thread)."""

    def __init__(self, database: Database, settings: Settings) -> None:
        self._database = database
        self._settings = settings
        self._interval = settings.audit_checkpoint_interval_seconds
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start signing in the background (again, if the app is started again after a stop)."""
        if self._interval <= 0 or (self._thread is not None and self._thread.is_alive()):
            return
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(self._stop,), name="audit-checkpointer", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None and self._thread.is_alive():
            self._thread.join(timeout=10)

    def sign_if_due(self) -> AuditCheckpoint | None:
        with self._database.unit_of_work() as session:
            if service.checkpoint_is_due(session, timedelta(seconds=self._interval)):
                return sign_checkpoint(session, self._settings)
        return None

    def _run(self, stop: threading.Event) -> None:
        while not stop.wait(self._interval):
            try:
                self.sign_if_due()
            except Exception:  # keep signing later; the next attempt covers these entries too
                log.exception("signing an audit checkpoint failed")


def export_entries(
    session: Session, entries: Iterable[AuditEntry], checkpoint: AuditCheckpoint, settings: Settings,
    out: TextIO, fmt: str, *, progress: Callable[[int], None] | None = None,
) -> int:
    """Write ``entries`` with their inclusion proofs in ``checkpoint`` to ``out`` (jsonl or csv)."""
    return write_export(session, entries, checkpoint, verifier_key(settings), out, fmt=fmt, progress=progress)
