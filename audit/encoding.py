"""The canonical byte encoding of an audit entry, which its RFC 9162 leaf hash is taken over.

An entry is encoded as one JSON object, UTF-8, with keys sorted by code point, no insignificant
whitespace (separators ``,`` and ``:``), non-ASCII characters written as themselves (not ``\\u``
escapes) and every field present (``null`` when empty)::

    {"actor_organisation_id":...,"actor_role":...,"actor_user_id":...,"actor_username":...,
     "case_reference":...,"details":{...},"event_type":"consent.granted","outcome":"success",
     "purpose":...,"reason":...,"recorded_at":"2026-11-22T22:41:06.123456Z","request_id":...,
     "seq":0,"subject_id":...,"v":1}

``recorded_at`` is UTC with exactly six fractional digits and a ``Z``; ``seq`` is the entry's
number, so an entry moved to another position no longer matches its leaf hash; ``details`` is the
event's details object, encoded by the same rules; ``v`` is the version of this encoding.  The
leaf hash is SHA-256(0x00 || these bytes).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from json.encoder import encode_basestring
from typing import Any

ENCODING_VERSION = 1

EVENT_FIELDS = (
    "event_type", "outcome", "actor_user_id", "actor_username", "actor_role", "actor_organisation_id",
    "subject_id", "purpose", "case_reference", "reason", "request_id",
)


def canonical_json(value: Any) -> str:
    """``value`` as canonical JSON text (sorted keys, compact, non-ASCII kept)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def format_timestamp(at: datetime) -> str:
    """A UTC timestamp as ``YYYY-MM-DDTHH:MM:SS.ffffffZ``."""
    if at.tzinfo is None:
        raise ValueError("naive datetimes are not recorded; use an aware UTC datetime")
    if at.utcoffset():
        at = at.astimezone(UTC)
    return at.replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def _json_value(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, str):
        return encode_basestring(value)
    return canonical_json(value)


# The encoding, written out with its keys in sorted order; every value is already JSON text.
# Filling a template costs a fraction of a general JSON encoder, and verification of a large log
# spends most of its time here.  A test proves it equals canonical_json of the whole document.
# It is split around the entry's number, so an appender can encode before it claims the number.
_HEAD = (
    '{{"actor_organisation_id":{5},"actor_role":{4},"actor_user_id":{2},"actor_username":{3},'
    '"case_reference":{8},"details":{details},"event_type":{0},"outcome":{1},"purpose":{7},"reason":{9},'
    '"recorded_at":"{recorded_at}","request_id":{10},"seq":'
)
_TAIL = ',"subject_id":{},"v":' + str(ENCODING_VERSION) + "}}"


def encode_parts(recorded_at: str, values: Sequence[Any], details: str) -> tuple[str, str]:
    """The canonical encoding without its number: the text before it and the text after it.

    ``values`` are in EVENT_FIELDS order; ``recorded_at`` is formatted; ``details`` is canonical
    JSON text, spliced in as stored rather than parsed and re-encoded (stored text that is not
    canonical therefore fails to match).
    """
    encoded = [
        encode_basestring(v) if v.__class__ is str else "null" if v is None else _json_value(v) for v in values
    ]
    return _HEAD.format(*encoded, details=details, recorded_at=recorded_at), _TAIL.format(encoded[6])


# The whole encoding in one template (values 0-10, then details, recorded_at and the number), for
# verification, which encodes every stored entry of the log.
_ROW = (
    _HEAD.replace("{details}", "{11}").replace("{recorded_at}", "{12}")
    + "{13:d}" + _TAIL.replace("{}", "{6}")
)


def encode_row(seq: int, recorded_at: str, values: Sequence[Any], details: str) -> bytes:
    """The canonical bytes of entry ``seq`` (the same as joining :func:`encode_parts` around the number)."""
    return _ROW.format(
        *[encode_basestring(v) if v.__class__ is str else "null" if v is None else _json_value(v) for v in values],
        details, recorded_at, seq,
    ).encode("utf-8")


def entry_bytes(seq: int, recorded_at: datetime, fields: Mapping[str, Any], details: str) -> bytes:
    """The canonical bytes of entry ``seq``: ``fields`` holds EVENT_FIELDS, ``details`` canonical JSON text."""
    return encode_row(seq, format_timestamp(recorded_at), [fields[name] for name in EVENT_FIELDS], details)
