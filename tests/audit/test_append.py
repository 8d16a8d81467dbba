"""Appending entries: numbering, leaf hashes, and the database refusing every way of changing them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from audit import merkle, service
from audit.encoding import entry_bytes
from audit.models import AuditEntry
from tests.audit.builders import make_event


def test_entries_are_numbered_from_zero_with_their_leaf_hash(session: Session) -> None:
    at = datetime(2026, 11, 22, 10, 0, 0, 123456, tzinfo=UTC)
    seqs = [service.append(session, make_event(details={"n": i, "name": "Zoë"}), at=at) for i in range(3)]
    session.commit()
    assert seqs == [0, 1, 2]
    entry = session.get(AuditEntry, 1)
    assert entry is not None and entry.recorded_at == at
    expected = (
        '{"actor_organisation_id":"org-1","actor_role":null,"actor_user_id":"user-1","actor_username":null,'
        '"case_reference":null,"details":{"n":1,"name":"Zoë"},"event_type":"consent.granted",'
        '"outcome":"success","purpose":null,"reason":null,"recorded_at":"2026-11-22T10:00:00.123456Z",'
        '"request_id":null,"seq":1,"subject_id":"subject-1","v":1}'
    ).encode()
    fields = {name: getattr(entry, name) for name in ("event_type", "outcome", "actor_user_id", "actor_username",
              "actor_role", "actor_organisation_id", "subject_id", "purpose", "case_reference", "reason", "request_id")}
    assert entry_bytes(entry.seq, entry.recorded_at, fields, entry.details) == expected
    assert entry.leaf_hash == merkle.leaf_hash(expected)


def test_a_rolled_back_append_gives_its_number_back(session: Session) -> None:
    service.append(session, make_event())
    session.commit()
    service.append(session, make_event())
    session.rollback()
    assert service.append(session, make_event()) == 1
    session.commit()
    assert session.execute(select(AuditEntry.seq).order_by(AuditEntry.seq)).scalars().all() == [0, 1]


def test_naive_times_are_refused(session: Session) -> None:
    with pytest.raises(ValueError):
        service.append(session, make_event(), at=datetime(2026, 1, 1))


TAMPERING = [
    "UPDATE audit_entries SET outcome = 'deny' WHERE seq = 0",
    "DELETE FROM audit_entries WHERE seq = 0",
    "DELETE FROM audit_entries",
    "UPDATE audit_sequence SET next_seq = 0",
    "DELETE FROM audit_sequence",
    "UPDATE audit_tree_state SET size = size - 1",
]


@pytest.mark.parametrize("statement", TAMPERING)
def test_the_database_refuses_changes_to_entries(session: Session, statement: str) -> None:
    service.append(session, make_event())
    session.commit()
    if "tree_state" in statement:
        from audit import tree

        tree.extend(session)
        session.commit()
    with pytest.raises(DBAPIError, match="append-only|counts up|never shrinks"):
        session.execute(text(statement))
        session.flush()
    session.rollback()
    assert session.execute(select(AuditEntry.outcome)).scalars().all() == ["success"]


def test_truncate_is_refused_on_postgresql_even_in_replica_mode(session: Session) -> None:
    if session.bind.dialect.name != "postgresql":
        pytest.skip("TRUNCATE and session_replication_role are PostgreSQL's")
    service.append(session, make_event())
    session.commit()
    for statement in ("TRUNCATE audit_entries", "TRUNCATE audit_entries CASCADE"):
        with pytest.raises(DBAPIError, match="append-only"):
            session.execute(text(statement))
        session.rollback()
    session.execute(text("SET session_replication_role = replica"))
    for statement in ("UPDATE audit_entries SET outcome = 'deny'", "DELETE FROM audit_entries", "TRUNCATE audit_entries"):
        with pytest.raises(DBAPIError, match="append-only"):
            session.execute(text(statement))
        session.rollback()
        session.execute(text("SET session_replication_role = replica"))
    session.rollback()
    assert session.execute(select(AuditEntry.outcome)).scalars().all() == ["success"]


def test_insert_or_replace_cannot_overwrite_an_entry_on_sqlite(session: Session) -> None:
    if session.bind.dialect.name != "sqlite":
        pytest.skip("INSERT OR REPLACE is SQLite's")
    service.append(session, make_event())
    session.commit()
    replace = (
        "INSERT OR REPLACE INTO audit_entries (seq, recorded_at, event_type, outcome, details, leaf_hash) "
        "VALUES (0, '2026-01-01 00:00:00', 'forged', 'success', '{}', x'00')"
    )
    for statement in (replace, replace.replace("OR REPLACE", "OR IGNORE") + " ON CONFLICT DO NOTHING",
                      replace.replace("OR REPLACE ", "") + " ON CONFLICT (seq) DO UPDATE SET event_type = 'forged'"):
        try:
            session.execute(text(statement))
            session.commit()
        except DBAPIError:
            session.rollback()
    assert session.execute(select(AuditEntry.event_type)).scalars().all() == ["consent.granted"]


def test_on_conflict_update_cannot_overwrite_an_entry(session: Session) -> None:
    service.append(session, make_event())
    session.commit()
    with pytest.raises(DBAPIError):
        session.execute(text(
            "INSERT INTO audit_entries (seq, recorded_at, event_type, outcome, details, leaf_hash) "
            "VALUES (0, '2026-01-01 00:00:00+00', 'forged', 'success', '{}', '\\x00') "
            "ON CONFLICT (seq) DO UPDATE SET event_type = 'forged'"
        ))
    session.rollback()
    assert session.execute(select(AuditEntry.event_type)).scalars().all() == ["consent.granted"]


def test_the_encoding_splices_details_exactly_as_a_full_canonical_encoding_would() -> None:
    import json

    from audit.encoding import EVENT_FIELDS, canonical_json, encode_parts

    tricky = ',"event_type":"x"\\",\n\u00e9\U0001f600'
    names = ("event_type", "outcome", "actor_user_id", "actor_username", "actor_role",
             "actor_organisation_id", "subject_id", "purpose", "case_reference", "reason", "request_id")
    fields: dict[str, str | None] = {name: f"{name}:{tricky}" for name in names}
    fields["reason"] = None
    details = {"z": [1, 2.5, None, True], "a": {"y": tricky, "b": "ü"}}
    at = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    encoded = entry_bytes(7, at, fields, canonical_json(details))
    expected = {**fields, "details": details, "seq": 7, "recorded_at": "2026-01-02T03:04:05.000000Z", "v": 1}
    assert encoded == canonical_json(expected).encode()
    assert json.loads(encoded) == expected
    head, tail = encode_parts("2026-01-02T03:04:05.000000Z", [fields[name] for name in EVENT_FIELDS], canonical_json(details))
    assert f"{head}7{tail}".encode() == encoded


def test_many_events_are_appended_as_consecutive_entries(session: Session) -> None:
    service.append(session, make_event())
    assert service.append_many(session, [make_event(details={"i": i}) for i in range(4)]) == range(1, 5)
    assert service.append_many(session, []) == range(0)
    session.commit()
    assert session.execute(select(AuditEntry.seq).order_by(AuditEntry.seq)).scalars().all() == [0, 1, 2, 3, 4]
