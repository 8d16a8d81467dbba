"""The broker's side of the audit log: its signing key, its origin, and the checkpoint signer.

``record`` appends in the caller's transaction (the audited change and its entry commit or fail
together); ``record_separately`` appends in a transaction of its own, for refusals and errors that
must survive the rollback of the request that failed.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Mapping
from datetime import timedelta
from typing import Any, TextIO

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy.orm import Session

from audit import notes, service
from audit.events import AuditEvent
from audit.export import write_export
from audit.models import AuditCheckpoint, AuditEntry
from broker.auth.principal import Principal
from broker.platform.db import Database
from broker.platform.keys import ed25519_key
from broker.platform.logging import current_request_id
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


def record(session: Session, event: AuditEvent) -> int:
    """Append ``event`` in the caller's transaction; return its number."""
    return service.append(session, event)


def record_many(session: Session, events: Iterable[AuditEvent]) -> range:
    """Append ``events`` as consecutive entries in the caller's transaction (one claim of the
    counter, so its lock is taken once and late)."""
    return service.append_many(session, list(events))


def staff_event(
    principal: Principal,
    event_type: str,
    *,
    outcome: str = "success",
    subject_id: object | None = None,
    purpose: str | None = None,
    case_reference: str | None = None,
    reason: str | None = None,
    details: Mapping[str, Any] | None = None,
) -> AuditEvent:
    """An event done by a signed-in caller, with their identity and this request's id."""
    return AuditEvent(
        event_type=event_type, outcome=outcome,
        actor_user_id=str(principal.user_id), actor_username=principal.username,
        actor_role=principal.role.value,
        actor_organisation_id=str(principal.organisation_id) if principal.organisation_id else None,
        subject_id=str(subject_id) if subject_id is not None else None,
        purpose=purpose, case_reference=case_reference, reason=reason,
        request_id=current_request_id(), details=dict(details or {}),
    )


def record_separately(database: Database, event: AuditEvent) -> int:
    """Append ``event`` in a transaction of its own, committed now whatever happens to the caller's.

    Call it once the failed request's transaction has been rolled back (for example in the error
    handler): on SQLite only one transaction writes at a time, so a request still holding its write
    lock would wait on itself.
    """
    with database.unit_of_work() as session:
        return service.append(session, event)


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
