from __future__ import annotations

import threading
import uuid
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, inspect, select, text, update
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from broker.platform.db import Database
from broker.platform.errors import InvalidInput, NotFound
from broker.records.encryption.models import KeyEncryptionKeyRecord, SubjectDataKey
from broker.records.encryption.service import (
    RecordEncryption,
    RecordShredded,
    RecordUnreadable,
    SealedField,
    purge_write_ahead_log,
    shred_subject,
)
from tests.broker.audit_entries import entries_since, next_seq
from tests.broker.records.encryption.conftest import ITEMS, make_subject, read_item, store_item

EP_REPORT = b'{"author": "Dr Okafor", "summary": "Amelia finds phonics hard; dyslexia screening advised"}'
SC_ASSESSMENT = b"%PDF-1.7 short breaks assessment for Oliver Bennett " + bytes(range(256)) * 40


def test_round_trip_for_json_and_binary_content(session: Session, encryption: RecordEncryption, subject, items_table) -> None:
    first = store_item(session, encryption, subject, EP_REPORT)
    second = store_item(session, encryption, subject, SC_ASSESSMENT)
    empty = store_item(session, encryption, subject, b"")
    session.commit()
    assert read_item(session, encryption, first) == EP_REPORT
    assert read_item(session, encryption, second) == SC_ASSESSMENT
    assert read_item(session, encryption, empty) == b""
    keys = session.execute(select(SubjectDataKey)).scalars().all()
    assert len(keys) == 1 and keys[0].subject_id == subject and keys[0].kek_id == encryption.keyring.current_id
    assert session.get(KeyEncryptionKeyRecord, encryption.keyring.current_id) is not None


def test_each_subject_has_its_own_data_key(session: Session, encryption: RecordEncryption, items_table) -> None:
    amelia, oliver = make_subject(session), make_subject(session, given_name="Oliver", family_name="Bennett")
    store_item(session, encryption, amelia, EP_REPORT)
    store_item(session, encryption, oliver, EP_REPORT)
    session.commit()
    ids = session.execute(select(SubjectDataKey.id, SubjectDataKey.subject_id)).all()
    assert {row.subject_id for row in ids} == {amelia, oliver} and len(ids) == 2


def test_a_ciphertext_swapped_between_rows_fails(
    session: Session, encryption: RecordEncryption, subject, items_table, caplog: pytest.LogCaptureFixture,
) -> None:
    first = store_item(session, encryption, subject, EP_REPORT)
    second = store_item(session, encryption, subject, b"another record")
    session.commit()
    sealed = dict(session.execute(select(ITEMS.c.id, ITEMS.c.content)).all())
    session.execute(update(ITEMS).where(ITEMS.c.id == first).values(content=sealed[second]))
    session.execute(update(ITEMS).where(ITEMS.c.id == second).values(content=sealed[first]))
    session.commit()
    for item in (first, second):
        with caplog.at_level("ERROR", logger="broker.records.encryption.service"), pytest.raises(RecordUnreadable) as caught:
            read_item(session, encryption, item)
        assert "Okafor" not in caught.value.detail
        logged = caplog.records[-1]
        assert logged.row_id == str(item) and logged.why == "failed its integrity check"
    assert not any("Okafor" in str(vars(r)) or sealed[first].hex()[:32] in str(vars(r)) for r in caplog.records)


def test_a_ciphertext_moved_to_another_field_table_or_subject_fails(
    session: Session, encryption: RecordEncryption, subject, items_table,
) -> None:
    item = store_item(session, encryption, subject, EP_REPORT)
    other = make_subject(session, given_name="Oliver")
    session.commit()
    sealed = session.execute(select(ITEMS.c.content).where(ITEMS.c.id == item)).scalar_one()
    for subject_id, table, field in [(subject, "sealed_items", "title"), (subject, "documents", "content"),
                                     (other, "sealed_items", "content")]:
        with pytest.raises(RecordUnreadable):
            encryption.open(session, subject_id, table, item, field, sealed)


def test_a_modified_byte_fails(session: Session, encryption: RecordEncryption, subject, items_table) -> None:
    item = store_item(session, encryption, subject, EP_REPORT)
    session.commit()
    sealed = bytearray(session.execute(select(ITEMS.c.content).where(ITEMS.c.id == item)).scalar_one())
    for position in (0, 5, 20, 40, len(sealed) - 1):
        altered = bytearray(sealed)
        altered[position] ^= 0x80
        session.execute(update(ITEMS).where(ITEMS.c.id == item).values(content=bytes(altered)))
        session.commit()
        with pytest.raises(RecordUnreadable):
            read_item(session, encryption, item)
    session.execute(update(ITEMS).where(ITEMS.c.id == item).values(content=bytes(sealed)))
    session.commit()
    assert read_item(session, encryption, item) == EP_REPORT


def test_a_tampered_wrapped_data_key_fails(session: Session, settings, subject, items_table) -> None:
    fresh = RecordEncryption.from_settings(settings)
    item = store_item(session, fresh, subject, EP_REPORT)
    session.commit()
    other = make_subject(session, given_name="Oliver")
    store_item(session, fresh, other, b"x")
    session.commit()
    wrapped = dict(session.execute(select(SubjectDataKey.subject_id, SubjectDataKey.wrapped_key)).all())
    session.execute(update(SubjectDataKey).where(SubjectDataKey.subject_id == subject).values(wrapped_key=wrapped[other]))
    session.commit()
    with pytest.raises(RecordUnreadable):
        read_item(session, RecordEncryption.from_settings(settings), item)  # a new process: nothing cached


def test_shredding_makes_every_item_of_the_subject_unreadable_and_only_theirs(
    session: Session, settings, encryption: RecordEncryption, subject, items_table,
) -> None:
    other = make_subject(session, given_name="Oliver")
    items = [store_item(session, encryption, subject, content) for content in (EP_REPORT, SC_ASSESSMENT)]
    kept = store_item(session, encryption, other, b"Oliver's EP report")
    session.commit()
    elsewhere = RecordEncryption.from_settings(settings)  # another process, its cache warm
    assert read_item(session, elsewhere, items[0]) == EP_REPORT and elsewhere.cached_key_ids()
    seq = next_seq(session)
    destroyed = shred_subject(session, encryption, subject, reason="erasure request IG-2026-114", actor_username="ig.auditor")
    (event,) = entries_since(session, seq)
    session.commit()
    assert len(destroyed) == 1 and destroyed[0] not in encryption.cached_key_ids()
    for reader in (encryption, elsewhere, RecordEncryption.from_settings(settings)):
        for item in items:
            with pytest.raises(RecordShredded, match="erased"):
                read_item(session, reader, item)
        assert read_item(session, reader, kept) == b"Oliver's EP report"
    assert destroyed[0] not in elsewhere.cached_key_ids()
    row = session.get(SubjectDataKey, destroyed[0])
    assert row.wrapped_key is None and row.kek_id is None and row.destroyed_at is not None
    assert event.event_type == "records.shredded" and event.subject_id == str(subject)
    assert event.reason == "erasure request IG-2026-114" and event.actor_username == "ig.auditor"
    assert event.details["data_key_ids"] == [str(destroyed[0])]
    # new records after an erasure get a fresh key; the erased ones stay erased
    fresh = store_item(session, encryption, subject, b"new advice")
    session.commit()
    assert read_item(session, elsewhere, fresh) == b"new advice"
    with pytest.raises(RecordShredded):
        read_item(session, elsewhere, items[1])


def test_shredding_needs_a_known_subject_and_a_reason(session: Session, encryption: RecordEncryption, subject) -> None:
    with pytest.raises(NotFound):
        shred_subject(session, encryption, uuid.uuid4(), reason="x")
    with pytest.raises(InvalidInput):
        shred_subject(session, encryption, subject, reason="  ")
    assert shred_subject(session, encryption, subject, reason="nothing stored yet") == []


def test_sealing_for_an_unknown_subject_is_refused(session: Session, encryption: RecordEncryption) -> None:
    with pytest.raises(NotFound):
        encryption.seal(session, uuid.uuid4(), "sealed_items", uuid.uuid4(), "content", b"x")


def test_concurrent_first_seals_for_a_subject_make_one_data_key(database: Database, settings, subject) -> None:
    results: list[bytes] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(4, timeout=30)

    def seal() -> None:
        try:
            encryption = RecordEncryption.from_settings(settings)
            barrier.wait()
            with database.unit_of_work() as session:
                results.append(encryption.seal(session, subject, "sealed_items", uuid.uuid4(), "content", b"x"))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=seal) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and len(results) == 4
    with database.sessions() as session:
        assert session.execute(select(func.count()).select_from(SubjectDataKey)).scalar_one() == 1


def test_the_api_says_plainly_that_a_shredded_record_was_erased(app: FastAPI, client: TestClient, subject, items_table) -> None:
    encryption: RecordEncryption = app.state.record_encryption
    with app.state.database.unit_of_work() as session:
        item = store_item(session, encryption, subject, EP_REPORT)

    @app.get("/api/v1/_test/items/{item_id}")
    def show(item_id: uuid.UUID) -> dict[str, str]:
        with app.state.database.unit_of_work() as session:
            return {"content": read_item(session, encryption, item_id).decode()}

    assert client.get(f"/api/v1/_test/items/{item}").json()["content"] == EP_REPORT.decode()
    with app.state.database.unit_of_work() as session:
        shred_subject(session, encryption, subject, reason="erasure request")
    response = client.get(f"/api/v1/_test/items/{item}")
    assert response.status_code == 410
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["title"] == "This record has been erased"
    assert "Okafor" not in response.text


# -- no plaintext in the database ------------------------------------------------------------------

KNOWN = [b"Dr Okafor", b"dyslexia screening advised", b"short breaks assessment for Oliver Bennett"]


def _database_bytes(database: Database) -> bytes:
    """Everything the database holds: the raw SQLite files, or every PostgreSQL table's rows as text."""
    if database.engine.dialect.name == "sqlite":
        database.dispose()  # the last connection closing checkpoints the write-ahead log
        path = Path(make_url(database.engine.url).database)
        return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
    chunks = []
    with database.engine.connect() as connection:
        for table in inspect(connection).get_table_names():
            rows = connection.execute(text(f'SELECT CAST(t AS text) FROM "{table}" AS t')).scalars()
            chunks.extend(row.encode() for row in rows)
    return b"\n".join(chunks)


def _occurs(needle: bytes, haystack: bytes) -> bool:
    return needle in haystack or needle.hex().encode() in haystack


def test_no_plaintext_and_no_key_reaches_the_database(database: Database, settings, items_table) -> None:
    encryption = RecordEncryption.from_settings(settings)
    with database.unit_of_work() as session:
        subject = make_subject(session)
        store_item(session, encryption, subject, EP_REPORT)
        store_item(session, encryption, subject, SC_ASSESSMENT)
    with database.sessions() as session:
        row = session.execute(select(ITEMS.c.id).limit(1)).scalar_one()
        read_item(session, encryption, row)
    (data_key,) = [encryption._cache[k] for k in encryption.cached_key_ids()]
    kek = encryption.keyring.current()[1]
    raw = _database_bytes(database)
    assert _occurs(b"Amelia", raw), "the search must see what is stored in the clear (the person's name)"
    for secret in [*KNOWN, data_key, kek]:
        assert not _occurs(secret, raw), f"found {secret[:12]!r}... in the database"


def test_after_shredding_the_wrapped_key_is_gone_from_the_sqlite_file(database: Database, settings, subject, items_table) -> None:
    if database.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL keeps old row versions until VACUUM; the KEK rotation covers those")
    encryption = RecordEncryption.from_settings(settings)
    with database.unit_of_work() as session:
        store_item(session, encryption, subject, EP_REPORT)
    with database.sessions() as session:
        wrapped = session.execute(select(SubjectDataKey.wrapped_key)).scalar_one()
    database.dispose()
    assert wrapped in _database_bytes(database)
    with database.unit_of_work() as session:
        shred_subject(session, encryption, subject, reason="erasure request")
    purge_write_ahead_log(database.engine)
    assert wrapped not in _database_bytes(database)


def test_a_bundle_seals_and_opens_together_and_fails_together(
    session: Session, settings, encryption: RecordEncryption, subject, items_table,
) -> None:
    ids = [uuid.uuid4() for _ in range(3)]
    contents = [EP_REPORT, SC_ASSESSMENT, b"attendance 91%"]
    sealed = encryption.seal_many(session, subject, [
        SealedField("sealed_items", i, "content", c) for i, c in zip(ids, contents, strict=True)
    ])
    session.commit()
    fields = [SealedField("sealed_items", i, "content", s) for i, s in zip(ids, sealed, strict=True)]
    assert encryption.open_many(session, subject, fields) == contents
    assert encryption.open(session, subject, "sealed_items", ids[1], "content", sealed[1]) == SC_ASSESSMENT
    swapped = [fields[0], SealedField("sealed_items", ids[1], "content", sealed[2]), fields[2]]
    with pytest.raises(RecordUnreadable):
        encryption.open_many(session, subject, swapped)
    shred_subject(session, encryption, subject, reason="erasure request")
    session.commit()
    with pytest.raises(RecordShredded):
        RecordEncryption.from_settings(settings).open_many(session, subject, fields)
