"""Exporting entries with what is needed to verify them away from the broker.

JSON Lines: the first line is the checkpoint (``{"type": "checkpoint", "note": ..., "verifier_key":
..., "tree_size": ..., "root_hash": ...}``), then one line per entry with every field, its leaf
hash and its inclusion proof in that checkpoint's tree.  CSV: one row per entry with the same
columns (``details`` as canonical JSON text, the proof as space-separated base64); the checkpoint
note goes to a file beside it. A CSV cell that a spreadsheet would run as a formula (one starting
with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return) is written with a leading apostrophe, so
opening the file never runs text a family or a source system typed; a recipient recomputing a leaf
from the CSV removes that one apostrophe first (``csv_value``). The JSON Lines export is unchanged.  Hashes are standard base64.  ``verify_export`` is what a recipient
does: check the note's signature, recompute each leaf (audit.encoding), check each proof.
"""

from __future__ import annotations

import base64
import csv
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TextIO

from sqlalchemy.orm import Session

from audit import merkle, notes, tree
from audit.encoding import EVENT_FIELDS, entry_bytes, format_timestamp
from audit.models import AuditCheckpoint, AuditEntry

CSV_COLUMNS = ["seq", "recorded_at", *EVENT_FIELDS, "details", "leaf_hash", "tree_size", "inclusion_proof"]


# What a spreadsheet takes as the start of a formula (OWASP: CSV injection).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> Any:
    """``value`` as written to a CSV cell: text a spreadsheet would run as a formula is prefixed
    with an apostrophe, which spreadsheets show as text."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def csv_value(cell: str) -> str:
    """The original value of a CSV cell written by ``csv_cell``."""
    if cell.startswith("'") and cell[1:].startswith(_FORMULA_STARTS):
        return cell[1:]
    return cell


def _b64(value: bytes) -> str:
    return base64.b64encode(value).decode()


def entry_record(entry: AuditEntry) -> dict[str, Any]:
    """An entry as plain JSON-ready values (details parsed, times in the canonical form)."""
    return {
        "seq": entry.seq,
        "recorded_at": format_timestamp(entry.recorded_at),
        **{name: getattr(entry, name) for name in EVENT_FIELDS},
        "details": json.loads(entry.details),
        "leaf_hash": _b64(entry.leaf_hash),
    }


@dataclass(frozen=True)
class ExportedEntry:
    record: dict[str, Any]
    proof: list[bytes]


def _with_proofs(session: Session, entries: Iterable[AuditEntry], tree_size: int) -> Iterator[ExportedEntry]:
    for entry in entries:
        yield ExportedEntry(entry_record(entry), tree.inclusion_proof(session, entry.seq, tree_size))


def write_export(
    session: Session,
    entries: Iterable[AuditEntry],
    checkpoint: AuditCheckpoint,
    verifier_key: str,
    out: TextIO,
    *,
    fmt: str = "jsonl",
    progress: Callable[[int], None] | None = None,
) -> int:
    """Write ``entries`` (all within ``checkpoint``) to ``out``; return how many were written."""
    count = 0
    if fmt == "jsonl":
        header = {"type": "checkpoint", "note": checkpoint.note, "verifier_key": verifier_key,
                  "tree_size": checkpoint.tree_size, "root_hash": _b64(checkpoint.root_hash)}
        out.write(json.dumps(header) + "\n")
        for item in _with_proofs(session, entries, checkpoint.tree_size):
            line = {"type": "entry", **item.record, "tree_size": checkpoint.tree_size,
                    "inclusion_proof": [_b64(p) for p in item.proof]}
            out.write(json.dumps(line, ensure_ascii=False) + "\n")
            count += 1
            if progress is not None and count % 1000 == 0:
                progress(count)
    elif fmt == "csv":
        writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS)
        writer.writeheader()
        for item in _with_proofs(session, entries, checkpoint.tree_size):
            row = {**item.record, "tree_size": checkpoint.tree_size,
                   "inclusion_proof": " ".join(_b64(p) for p in item.proof)}
            row["details"] = json.dumps(row["details"], sort_keys=True, separators=(",", ":"), ensure_ascii=False)
            writer.writerow({name: csv_cell(value) for name, value in row.items()})
            count += 1
            if progress is not None and count % 1000 == 0:
                progress(count)
    else:
        raise ValueError(f"unknown export format {fmt!r}: use jsonl or csv")
    return count


def _leaf_of(record: dict[str, Any]) -> bytes:
    details = record["details"]
    if not isinstance(details, str):
        details = json.dumps(details, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    at = datetime.fromisoformat(record["recorded_at"].replace("Z", "+00:00"))
    fields = {name: record[name] for name in EVENT_FIELDS}
    return merkle.leaf_hash(entry_bytes(int(record["seq"]), at, fields, details))


def verify_export(lines: Iterable[str], verifier_key: str) -> int:
    """Check a JSON Lines export against ``verifier_key``; return the entries verified, raise ValueError if any fail."""
    verifier = notes.parse_verifier_key(verifier_key)
    iterator = iter(lines)
    header = json.loads(next(iterator))
    checkpoint = notes.parse_checkpoint(notes.open_note(header["note"], verifier))
    count = 0
    for line in iterator:
        record = json.loads(line)
        leaf = _leaf_of(record)
        if _b64(leaf) != record["leaf_hash"]:
            raise merkle.ProofError(f"entry {record['seq']} does not match its leaf hash")
        proof = [base64.b64decode(p) for p in record["inclusion_proof"]]
        merkle.verify_inclusion(leaf, int(record["seq"]), checkpoint.tree_size, proof, checkpoint.root)
        count += 1
    return count
