"""Signed checkpoints: C2SP signed notes with Ed25519, kept, and batched."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy.orm import Session

from audit import merkle, notes, service
from tests.audit.builders import make_event

ORIGIN = "broker.example.gov.uk/audit"


def test_a_published_c2sp_example_note_verifies() -> None:
    verifier = notes.parse_verifier_key("example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k")
    note = (
        "This is an example message.\n\n\u2014 example.com/foo "
        "Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n"
    )
    assert notes.open_note(note, verifier) == "This is an example message.\n"
    with pytest.raises(notes.NoteError):
        notes.open_note(note.replace("example message", "forged message"), verifier)


def test_checkpoints_are_signed_kept_and_only_when_the_log_grew(session: Session) -> None:
    key = Ed25519PrivateKey.generate()
    t0 = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
    assert service.checkpoint_is_due(session, timedelta(seconds=5), now=t0) is False
    for _ in range(3):
        service.append(session, make_event())
    assert service.checkpoint_is_due(session, timedelta(seconds=5), now=t0)
    first = service.sign_checkpoint(session, key, ORIGIN, at=t0)
    assert service.sign_checkpoint(session, key, ORIGIN, at=t0) is first
    assert service.checkpoint_is_due(session, timedelta(seconds=5), now=t0 + timedelta(seconds=60)) is False
    service.append(session, make_event())
    assert service.checkpoint_is_due(session, timedelta(seconds=5), now=t0 + timedelta(seconds=1)) is False
    assert service.checkpoint_is_due(session, timedelta(seconds=5), now=t0 + timedelta(seconds=5))
    second = service.sign_checkpoint(session, key, ORIGIN, at=t0 + timedelta(seconds=5))
    session.commit()

    verifier = notes.parse_verifier_key(service.verifier_key(key, ORIGIN))
    body = notes.open_note(second.note, verifier)
    assert body.startswith(f"{ORIGIN}\n4\n")
    parsed = notes.parse_checkpoint(body)
    assert (parsed.origin, parsed.tree_size, parsed.root) == (ORIGIN, 4, second.root_hash)
    assert service.latest_checkpoint(session).tree_size == 4
    proof = service.consistency_proof(session, first.tree_size, second.tree_size)
    merkle.verify_consistency(3, 4, proof, first.root_hash, second.root_hash)

    other = notes.parse_verifier_key(service.verifier_key(Ed25519PrivateKey.generate(), ORIGIN))
    with pytest.raises(notes.NoteError):
        notes.open_note(second.note, other)


def test_verifier_keys_are_checked() -> None:
    key = Ed25519PrivateKey.generate()
    text = service.verifier_key(key, ORIGIN)
    name, key_hash, encoded = text.split("+", 2)
    assert name == ORIGIN and len(key_hash) == 8 and base64.b64decode(encoded)[0] == 1
    with pytest.raises(notes.NoteError):
        notes.parse_verifier_key(f"{name}+00000000+{encoded}")
    with pytest.raises(notes.NoteError):
        notes.parse_verifier_key("no-plus-signs")
