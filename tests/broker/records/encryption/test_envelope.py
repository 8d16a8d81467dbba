from __future__ import annotations

import uuid

import pytest

from broker.records.encryption.envelope import (
    SEALED_HEADER_BYTES,
    SealBroken,
    new_data_key,
    open_field,
    seal_field,
    sealed_key_id,
    unwrap_data_key,
    wrap_data_key,
)

KEY_ID = uuid.uuid4()
ROW = str(uuid.uuid4())


def test_sealed_field_round_trips_and_names_its_data_key() -> None:
    key = new_data_key()
    sealed = seal_field(key, KEY_ID, "record_items", ROW, "content", b'{"report": "EP advice"}')
    assert sealed[0] == 1 and sealed_key_id(sealed) == KEY_ID
    assert len(sealed) == SEALED_HEADER_BYTES + len(b'{"report": "EP advice"}') + 16
    assert open_field(key, "record_items", ROW, "content", sealed) == b'{"report": "EP advice"}'


def test_the_same_plaintext_seals_differently_each_time() -> None:
    key = new_data_key()
    assert seal_field(key, KEY_ID, "t", ROW, "f", b"same") != seal_field(key, KEY_ID, "t", ROW, "f", b"same")


@pytest.mark.parametrize("table,row,field", [
    ("other_items", ROW, "content"), ("record_items", str(uuid.uuid4()), "content"), ("record_items", ROW, "title"),
])
def test_a_sealed_field_moved_to_another_table_row_or_field_fails(table: str, row: str, field: str) -> None:
    key = new_data_key()
    sealed = seal_field(key, KEY_ID, "record_items", ROW, "content", b"secret")
    with pytest.raises(SealBroken):
        open_field(key, table, row, field, sealed)


def test_every_altered_byte_is_detected_and_the_error_holds_no_content() -> None:
    key = new_data_key()
    sealed = seal_field(key, KEY_ID, "record_items", ROW, "content", b"confidential EP report")
    for position in range(len(sealed)):
        altered = bytearray(sealed)
        altered[position] ^= 0x01
        with pytest.raises(SealBroken) as caught:
            open_field(key, "record_items", ROW, "content", bytes(altered))
        assert "confidential" not in str(caught.value)
    with pytest.raises(SealBroken):
        open_field(key, "record_items", ROW, "content", sealed[:-1])
    with pytest.raises(SealBroken):
        open_field(new_data_key(), "record_items", ROW, "content", sealed)


def test_wrapped_data_key_is_bound_to_subject_purpose_and_kek_id() -> None:
    kek, data_key, subject = new_data_key(), new_data_key(), uuid.uuid4()
    wrapped = wrap_data_key(kek, "k1", subject, "stored-records", data_key)
    assert data_key not in wrapped
    assert unwrap_data_key(kek, "k1", subject, "stored-records", wrapped) == data_key
    for args in [(kek, "k2", subject, "stored-records"), (kek, "k1", uuid.uuid4(), "stored-records"),
                 (kek, "k1", subject, "other"), (new_data_key(), "k1", subject, "stored-records")]:
        with pytest.raises(SealBroken):
            unwrap_data_key(*args, wrapped)
