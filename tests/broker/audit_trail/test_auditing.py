"""The broker's audit plumbing: entries that outlive a failed request, and the checkpoint signer."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from audit import notes, service
from audit.events import AuditEvent
from broker.audit_trail import auditing
from broker.platform.db import Database
from broker.platform.settings import Settings


def test_a_refusal_recorded_separately_survives_the_rollback_of_the_request(database: Database, session: Session) -> None:
    try:
        with database.unit_of_work() as request:
            auditing.record(request, AuditEvent("disclosure.made", "success", subject_id="child"))
            raise RuntimeError("the disclosure failed")
    except RuntimeError:
        auditing.record_separately(database, AuditEvent("disclosure.made", "error", subject_id="child"))
    entries = service.repository.find_entries(session)
    assert [(e.seq, e.event_type, e.outcome) for e in entries] == [(0, "disclosure.made", "error")]


def test_the_checkpointer_signs_only_when_entries_were_added(database: Database, settings: Settings) -> None:
    signer = auditing.Checkpointer(database, settings.model_copy(update={"audit_checkpoint_interval_seconds": 0.0}))
    assert signer.sign_if_due() is None
    auditing.record_separately(database, AuditEvent("consent.granted", "success"))
    checkpoint = signer.sign_if_due()
    assert checkpoint is not None and checkpoint.tree_size == 1
    assert signer.sign_if_due() is None
    body = notes.open_note(checkpoint.note, auditing.verifier(settings))
    assert body.startswith(settings.audit_log_origin + "\n1\n")


def test_the_origin_comes_from_the_public_address_unless_set() -> None:
    assert Settings(public_url="https://send.northshire.gov.uk").audit_log_origin == "send.northshire.gov.uk/audit"
    assert Settings(audit_origin="northshire.gov.uk/send-audit").audit_log_origin == "northshire.gov.uk/send-audit"
    with pytest.raises(ValueError, match="AUDIT_ORIGIN"):
        Settings(environment="production", secret_key="x" * 40, database_url="postgresql://db/broker",
                 public_url="https://send.example", audit_origin="has space")
