"""The two ciphertext formats the broker stores: sealed fields and wrapped data keys.

Both use AES-256-GCM (``cryptography``'s ``AESGCM``) with a fresh random 96-bit nonce per
encryption.  Nothing here touches the database; ``broker.records.encryption.service`` composes it.

Sealed field, version 1 (what a record item's content or document bytes become)::

    offset  size  what
    0       1     format version, 0x01
    1       16    data key id (the ``subject_data_keys.id`` UUID, raw bytes)
    17      12    nonce
    29      n+16  AES-256-GCM ciphertext of the n plaintext bytes, then the 16-byte tag

The associated data (authenticated, not stored) is::

    b"broker.sealed-field" || version || key id || len-prefixed(table) || len-prefixed(row id)
        || len-prefixed(field)

each length prefix a 4-byte big-endian count of UTF-8 bytes.  So the header cannot be altered, and a
ciphertext copied to another table, row or field, or another version of the format, fails to
decrypt (``SealBroken``) instead of yielding someone else's record.

Wrapped data key (what ``subject_data_keys.wrapped_key`` holds)::

    offset  size  what
    0       1     format version, 0x01
    1       12    nonce
    13      48    AES-256-GCM ciphertext of the 32-byte data key, then the 16-byte tag

wrapped under the key-encryption key (KEK) named in ``subject_data_keys.kek_id``, with associated
data ``b"broker.data-key" || version || subject id (16 bytes) || len-prefixed(purpose) ||
len-prefixed(KEK id)``: a wrapped key moved to another subject, purpose or KEK id fails to unwrap.
"""

from __future__ import annotations

import os
import struct
import uuid

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

SEALED_VERSION = 1
WRAPPED_VERSION = 1
KEY_BYTES = 32
NONCE_BYTES = 12
TAG_BYTES = 16
SEALED_HEADER_BYTES = 1 + 16 + NONCE_BYTES
WRAPPED_BYTES = 1 + NONCE_BYTES + KEY_BYTES + TAG_BYTES
DATA_KEY_PURPOSE = "stored-records"


class SealBroken(ValueError):
    """A ciphertext did not decrypt: it was altered, moved, truncated or made under another key.

    The message never includes the ciphertext, the key or the plaintext.
    """


def _prefixed(value: str) -> bytes:
    data = value.encode("utf-8")
    return struct.pack(">I", len(data)) + data


def new_data_key() -> bytes:
    """A fresh random 256-bit data key."""
    return AESGCM.generate_key(bit_length=256)


def sealed_field_aad(key_id: uuid.UUID, table: str, row_id: str, field: str) -> bytes:
    return (
        b"broker.sealed-field" + bytes([SEALED_VERSION]) + key_id.bytes
        + _prefixed(table) + _prefixed(row_id) + _prefixed(field)
    )


def seal_field(
    data_key: bytes, key_id: uuid.UUID, table: str, row_id: str, field: str, plaintext: bytes
) -> bytes:
    """Encrypt ``plaintext`` for one field of one row, in the sealed-field format above."""
    nonce = os.urandom(NONCE_BYTES)
    ciphertext = AESGCM(data_key).encrypt(nonce, plaintext, sealed_field_aad(key_id, table, row_id, field))
    return bytes([SEALED_VERSION]) + key_id.bytes + nonce + ciphertext


def sealed_key_id(sealed: bytes) -> uuid.UUID:
    """The data key id a sealed field names (checked, not trusted: it is also in the AAD)."""
    if len(sealed) < SEALED_HEADER_BYTES + TAG_BYTES:
        raise SealBroken("the sealed value is too short to be a sealed field")
    if sealed[0] != SEALED_VERSION:
        raise SealBroken(f"unknown sealed-field format version {sealed[0]}")
    return uuid.UUID(bytes=bytes(sealed[1:17]))


def open_field(data_key: bytes, table: str, row_id: str, field: str, sealed: bytes) -> bytes:
    """Decrypt a sealed field made by ``seal_field`` for exactly this table, row and field."""
    key_id = sealed_key_id(sealed)
    nonce = bytes(sealed[17:SEALED_HEADER_BYTES])
    try:
        return AESGCM(data_key).decrypt(
            nonce, bytes(sealed[SEALED_HEADER_BYTES:]), sealed_field_aad(key_id, table, row_id, field)
        )
    except InvalidTag:
        raise SealBroken(
            f"the sealed {table}.{field} value does not belong to this row or was altered"
        ) from None


def data_key_aad(subject_id: uuid.UUID, purpose: str, kek_id: str) -> bytes:
    return (
        b"broker.data-key" + bytes([WRAPPED_VERSION]) + subject_id.bytes
        + _prefixed(purpose) + _prefixed(kek_id)
    )


def wrap_data_key(kek: bytes, kek_id: str, subject_id: uuid.UUID, purpose: str, data_key: bytes) -> bytes:
    """Encrypt a subject's data key under a key-encryption key (the wrapped-key format above)."""
    if len(data_key) != KEY_BYTES:
        raise ValueError("a data key is 32 bytes")
    nonce = os.urandom(NONCE_BYTES)
    ciphertext = AESGCM(kek).encrypt(nonce, data_key, data_key_aad(subject_id, purpose, kek_id))
    return bytes([WRAPPED_VERSION]) + nonce + ciphertext


def unwrap_data_key(kek: bytes, kek_id: str, subject_id: uuid.UUID, purpose: str, wrapped: bytes) -> bytes:
    """Decrypt a wrapped data key; fails unless the KEK, its id, the subject and purpose all match."""
    if len(wrapped) != WRAPPED_BYTES or wrapped[0] != WRAPPED_VERSION:
        raise SealBroken("the wrapped data key is not in a known format")
    try:
        return AESGCM(kek).decrypt(
            bytes(wrapped[1:13]), bytes(wrapped[13:]), data_key_aad(subject_id, purpose, kek_id)
        )
    except InvalidTag:
        raise SealBroken(f"the data key does not unwrap under KEK {kek_id!r}") from None
