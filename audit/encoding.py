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
from collections.abc import Mapping
from datetime import UTC, datetime
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
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def entry_bytes(seq: int, recorded_at: datetime, fields: Mapping[str, Any], details: str) -> bytes:
    """The canonical bytes of entry ``seq``: ``fields`` holds EVENT_FIELDS, ``details`` canonical JSON text.

    ``details`` is spliced in as stored rather than parsed and re-encoded (verification of a large
    log spends most of its time here); stored text that is not canonical therefore fails to match.
    """
    document = {name: fields[name] for name in EVENT_FIELDS}
    document["seq"] = seq
    document["recorded_at"] = format_timestamp(recorded_at)
    document["v"] = ENCODING_VERSION
    text = canonical_json(document)
    # Inside JSON strings every quote is escaped, so this marker can only be the key itself.
    cut = text.index(_AFTER_DETAILS)
    return (text[:cut] + ',"details":' + details + text[cut:]).encode("utf-8")


# "details" sorts just before "event_type", which every entry has.
_AFTER_DETAILS = ',"event_type":'
