"""The broker's audit plumbing: entries that outlive a failed request, and the checkpoint signer."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy.orm import Session

from audit import notes, service
from broker.audit_trail import auditing, catalogue
from broker.auth.principal import Principal, Role
from broker.platform.db import Database
from broker.platform.settings import Settings

CALLER = Principal(user_id=uuid.uuid4(), username="sen.caseworker", display_name="Caseworker", role=Role.caseworker,
                   organisation_id=uuid.uuid4())


def test_a_refusal_recorded_separately_survives_the_rollback_of_the_request(database: Database, session: Session) -> None:
    child = uuid.uuid4()
    try:
        with database.unit_of_work() as request:
            auditing.record(request, catalogue.ep_document_uploaded(
                CALLER, subject_id=child, document_id=uuid.uuid4(), content_hash="0" * 64, size_bytes=1,
                document_type="EP_REPORT"))
            raise RuntimeError("the upload failed")
    except RuntimeError:
        auditing.record_separately(database, catalogue.request_refused(
            CALLER, failed=True, subject_id=str(child), reason="the upload failed", request={"status": 500}))
    entries = service.repository.find_entries(session)
    assert [(e.seq, e.event_type, e.outcome) for e in entries] == [(0, "request.failed", "error")]


def test_the_checkpointer_signs_only_when_entries_were_added(database: Database, settings: Settings) -> None:
    signer = auditing.Checkpointer(database, settings.model_copy(update={"audit_checkpoint_interval_seconds": 0.0}))
    assert signer.sign_if_due() is None
    auditing.record_separately(database, catalogue.consent_expired(
        subject_id=uuid.uuid4(), consent_id=uuid.uuid4(), effective_at="2026-09-01T00:00:00+00:00",
        reason="end of compulsory school age"))
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
