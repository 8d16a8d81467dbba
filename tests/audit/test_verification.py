"""Tampering as a rogue database administrator would (triggers dropped first); verification catches each kind."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import insert, select, text, update
from sqlalchemy.orm import Session

from audit import merkle, notes, repository, service, tree, verification
from audit.encoding import EVENT_FIELDS, entry_bytes
from audit.models import AuditEntry
from audit.verification import verify_log
from tests.audit.builders import make_event

ORIGIN = "council.example/audit"
KEY = Ed25519PrivateKey.generate()
VERIFIER = notes.parse_verifier_key(notes.verifier_key(ORIGIN, KEY.public_key()))
T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


def build_log(session: Session, size: int = 40, checkpoints: tuple[int, ...] = (10, 25, 40)) -> None:
    for seq in range(size):
        service.append(session, make_event(subject_id=f"child-{seq % 3}", details={"n": seq}), at=T0 + timedelta(minutes=seq))
        if seq + 1 in checkpoints:
            service.sign_checkpoint(session, KEY, ORIGIN)
    session.commit()


def drop_guards(session: Session) -> None:
    """What a rogue administrator does first: remove the triggers that refuse changes."""
    if session.bind.dialect.name == "sqlite":
        names = session.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger'")).scalars().all()
        for name in names:
            session.execute(text(f'DROP TRIGGER "{name}"'))
    else:
        rows = session.execute(text(
            "SELECT t.tgname, c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE NOT t.tgisinternal AND c.relname LIKE 'audit_%'"
        )).all()
        for name, table in rows:
            session.execute(text(f'DROP TRIGGER "{name}" ON "{table}"'))
    session.commit()


def _leaf(session: Session, seq: int) -> bytes:
    entry = session.get(AuditEntry, seq)
    assert entry is not None
    session.refresh(entry)
    return merkle.leaf_hash(entry_bytes(seq, entry.recorded_at, {f: getattr(entry, f) for f in EVENT_FIELDS}, entry.details))


def rebuild_tree(session: Session) -> None:
    """A thorough forger also recomputes leaf hashes, tree nodes and the tree state."""
    for seq in session.execute(select(AuditEntry.seq)).scalars().all():
        session.execute(update(AuditEntry).where(AuditEntry.seq == seq).values(leaf_hash=_leaf(session, seq)))
    session.execute(text("DELETE FROM audit_tree_nodes"))
    session.execute(text("UPDATE audit_tree_state SET size = 0, peaks = :empty"), {"empty": b""})
    tree.extend(session)
    session.commit()


def alter(session: Session) -> None:
    session.execute(text("UPDATE audit_entries SET outcome = 'deny' WHERE seq = 17"))


def alter_and_rehash(session: Session) -> None:
    alter(session)
    session.execute(update(AuditEntry).where(AuditEntry.seq == 17).values(leaf_hash=_leaf(session, 17)))


def alter_and_rebuild(session: Session) -> None:
    alter(session)
    session.commit()
    rebuild_tree(session)


def delete_middle(session: Session) -> None:
    session.execute(text("DELETE FROM audit_entries WHERE seq = 17"))


def delete_and_renumber(session: Session) -> None:
    session.execute(text("DELETE FROM audit_entries WHERE seq = 17"))
    for seq in range(18, 40):
        session.execute(text("UPDATE audit_entries SET seq = seq - 1 WHERE seq = :s"), {"s": seq})
    session.execute(text("UPDATE audit_sequence SET next_seq = 39"))
    session.commit()
    rebuild_tree(session)


def delete_last(session: Session) -> None:
    session.execute(text("DELETE FROM audit_entries WHERE seq = 39"))
    session.execute(text("UPDATE audit_sequence SET next_seq = 39"))
    session.commit()
    rebuild_tree(session)


def reorder(session: Session) -> None:
    session.execute(text("UPDATE audit_entries SET seq = 1000 WHERE seq = 17"))
    session.execute(text("UPDATE audit_entries SET seq = 17 WHERE seq = 18"))
    session.execute(text("UPDATE audit_entries SET seq = 18 WHERE seq = 1000"))


def reorder_and_rebuild(session: Session) -> None:
    reorder(session)
    session.commit()
    rebuild_tree(session)


def _insert(session: Session, seq: int) -> None:
    session.execute(insert(AuditEntry.__table__).values(
        seq=seq, recorded_at=T0, event_type="disclosure.made", outcome="success", details="{}", leaf_hash=b"\x00" * 32))
    session.commit()
    session.execute(update(AuditEntry).where(AuditEntry.seq == seq).values(leaf_hash=_leaf(session, seq)))


def insert_at_end(session: Session) -> None:
    _insert(session, 40)


def insert_in_middle(session: Session) -> None:
    for seq in range(39, 16, -1):
        session.execute(text("UPDATE audit_entries SET seq = seq + 1 WHERE seq = :s"), {"s": seq})
    _insert(session, 17)
    session.execute(text("UPDATE audit_sequence SET next_seq = 41"))
    session.commit()
    rebuild_tree(session)


def insert_in_middle_after_last_checkpoint(session: Session) -> None:
    """Entries after the last checkpoint are protected by the stored tree only until the next checkpoint."""
    insert_in_middle(session)


# Where the log can name the bad entry, it does; where an entry was rewritten together with its
# leaf and the stored tree, only the signed checkpoints disagree, and they name a range: entries
# 10 to 24 lie between the checkpoints of tree sizes 10 and 25.
RANGE = (10, 24)
CASES: list[tuple[Callable[[Session], None], int | tuple[int, int], str]] = [
    (alter, 17, "entry 17 was altered"),
    (alter_and_rehash, 16, "stored tree disagrees"),
    (alter_and_rebuild, RANGE, "root signed at tree size 25"),
    (delete_middle, 17, "entry 17 is missing"),
    (delete_and_renumber, RANGE, "root signed at tree size 25"),
    (delete_last, 39, "signed tree size 40"),
    (reorder, 17, "entry 17 was altered or moved"),
    (reorder_and_rebuild, RANGE, "root signed at tree size 25"),
    (insert_at_end, 40, "inserted outside the log"),
    (insert_in_middle, RANGE, "root signed at tree size 25"),
]


@pytest.fixture(params=[None, 2], ids=["one-chunk", "chunks-of-4"])
def chunk_level(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> int | None:
    """Verify in the default chunks, and in chunks of four entries (so many chunks, and levels above them)."""
    if request.param is not None:
        monkeypatch.setattr(verification, "CHUNK_LEVEL", request.param)
        monkeypatch.setattr(verification, "CHUNK", 1 << request.param)
    return request.param


def test_an_untouched_log_verifies(session: Session, chunk_level: int | None) -> None:
    build_log(session)
    progress: list[tuple[int, int]] = []
    report = verify_log(session, VERIFIER, progress=lambda done, total: progress.append((done, total)))
    assert report.ok, report.problems
    assert (report.entries_checked, report.checkpoints_checked) == (40, 3)
    assert progress[-1] == (40, 40)


@pytest.mark.parametrize(("tamper", "first_bad", "message"), CASES, ids=[c[0].__name__ for c in CASES])
def test_tampering_is_caught(
    session: Session, tamper: Callable[[Session], None], first_bad: int | tuple[int, int], message: str,
    chunk_level: int | None,
) -> None:
    build_log(session)
    drop_guards(session)
    tamper(session)
    session.commit()
    report = verify_log(session, VERIFIER)
    assert not report.ok
    if isinstance(first_bad, tuple):
        assert (report.first_bad_entry, report.bad_range) == (None, first_bad), report.problems
        assert any("cannot say which entry" in p for p in report.problems)
    else:
        assert (report.first_bad_entry, report.bad_range) == (first_bad, None), report.problems
    assert any(message in p for p in report.problems), report.problems


def test_a_checkpoint_signed_by_another_key_is_refused(session: Session) -> None:
    build_log(session, 5, (5,))
    forged = notes.sign_note(notes.checkpoint_body(ORIGIN, 5, tree.root_at(session, 5)), ORIGIN, Ed25519PrivateKey.generate())
    drop_guards(session)
    session.execute(text("UPDATE audit_checkpoints SET note = :n"), {"n": forged})
    session.commit()
    report = verify_log(session, VERIFIER)
    assert any("carries no signature" in p for p in report.problems)


def test_a_kept_checkpoint_catches_a_log_rewritten_after_its_checkpoints_were_deleted(session: Session) -> None:
    build_log(session, 12, (12,))
    kept = service.latest_checkpoint(session).note
    drop_guards(session)
    session.execute(text("DELETE FROM audit_checkpoints"))
    session.execute(text("UPDATE audit_entries SET reason = 'nothing to see' WHERE seq = 5"))
    session.commit()
    rebuild_tree(session)
    assert verify_log(session, VERIFIER).ok  # nothing left in the database to contradict the forgery
    report = verify_log(session, VERIFIER, extra_checkpoints=[kept])
    assert report.bad_range == (0, 11) and not report.ok


def test_a_stored_root_that_differs_from_its_signed_note_is_reported(session: Session) -> None:
    build_log(session, 12, (12,))
    drop_guards(session)
    session.execute(text("UPDATE audit_checkpoints SET root_hash = :r"), {"r": bytes(32)})
    session.commit()
    report = verify_log(session, VERIFIER)
    assert not report.ok
    assert any("stored checkpoint 12: the root stored beside it differs" in p for p in report.problems), report.problems


def test_the_database_encodes_stored_entries_exactly_as_the_log_does(session: Session) -> None:
    tricky = "".join(chr(c) for c in range(1, 32)) + '"\\/\x7f\u2028\u00e9\U0001f600 end'
    at = datetime(2026, 11, 1, 9, 0, 0, 120, tzinfo=UTC)
    service.append(session, make_event(reason=tricky, case_reference=tricky, actor_user_id=None,
                                       details={"note": tricky, "n": [1, None]}), at=at)
    service.append(session, make_event(), at=T0)
    session.commit()
    seqs, encodings, stored = repository.entry_chunk(session, 0, 10)
    assert seqs == [0, 1]
    for seq, encoded, leaf in zip(seqs, encodings, stored, strict=True):
        entry = session.get(AuditEntry, seq)
        assert entry is not None
        assert encoded == entry_bytes(seq, entry.recorded_at, {f: getattr(entry, f) for f in EVENT_FIELDS}, entry.details)
        assert merkle.leaf_hash(encoded) == leaf
    assert verify_log(session, VERIFIER).ok
