"""Queries on the audit tables: select(), insert(), flush(); never commit."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Table, and_, bindparam, func, insert, or_, select, text, update
from sqlalchemy.orm import Session

from audit.encoding import ENCODING_VERSION
from audit.models import AuditCheckpoint, AuditEntry, AuditSequence, AuditTreeNode, AuditTreeState


def take_next_seq(session: Session, count: int = 1) -> int:
    """Claim the next ``count`` entry numbers (returning the first), locking the counter row until this transaction ends.

    The counter update is the row lock: on PostgreSQL concurrent appenders queue on it, so numbers
    are handed out in commit order and a rolled-back append hands its number back; on SQLite the
    update takes the database write lock, with the same effect.
    """
    claimed = session.connection().execute(_CLAIM, {"count": count}).scalar_one()
    return claimed - count


# Core statements on the tables, built once: appending is the hot path, and the ORM's
# bookkeeping for bulk statements costs more than the statements themselves.
_SEQUENCE = AuditSequence.__table__
_ENTRIES = AuditEntry.__table__
assert isinstance(_SEQUENCE, Table) and isinstance(_ENTRIES, Table)  # mapped to tables, not to joins
_CLAIM = (
    update(_SEQUENCE)
    .where(_SEQUENCE.c.id == 1)
    .values(next_seq=_SEQUENCE.c.next_seq + bindparam("count"))
    .returning(_SEQUENCE.c.next_seq)
)
_INSERT_ENTRY = insert(_ENTRIES)


_ENTRY_VALUE_COLUMNS = (
    "recorded_at", "event_type", "outcome", "actor_user_id", "actor_username", "actor_role",
    "actor_organisation_id", "subject_id", "purpose", "case_reference", "reason", "request_id", "details",
)

# PostgreSQL only: claim the number, hash the leaf and insert the entry in one statement, so the
# counter row is locked for one round trip and the commit, not two round trips and the client's
# work.  The server computes SHA-256(0x00 || head || seq || tail) over the encoding the client
# prepared; verification recomputes every leaf independently.
_CLAIM_AND_INSERT = text(
    "WITH claimed AS (UPDATE audit_sequence SET next_seq = next_seq + 1 WHERE id = 1 RETURNING next_seq - 1 AS seq) "  # nosec B608  # column names from a module constant; values are bound parameters
    f"INSERT INTO audit_entries (seq, {', '.join(_ENTRY_VALUE_COLUMNS)}, leaf_hash) "
    f"SELECT claimed.seq, {', '.join(':' + c for c in _ENTRY_VALUE_COLUMNS)}, "
    "sha256('\\x00'::bytea || convert_to(CAST(:head AS text) || claimed.seq::text || CAST(:tail AS text), 'UTF8')) "
    "FROM claimed RETURNING seq"
).bindparams(bindparam("recorded_at", type_=AuditEntry.__table__.c.recorded_at.type))


def claim_and_insert_entry(session: Session, values: dict[str, Any], head: str, tail: str) -> int | None:
    """On PostgreSQL, number and insert one entry in one statement and return its number; None elsewhere."""
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        return None
    return connection.execute(_CLAIM_AND_INSERT, {**values, "head": head, "tail": tail}).scalar_one()


def insert_entries(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    session.connection().execute(_INSERT_ENTRY, list(rows))


def next_seq(session: Session) -> int:
    return session.execute(select(AuditSequence.next_seq).where(AuditSequence.id == 1)).scalar_one()


def get_entry(session: Session, seq: int) -> AuditEntry | None:
    return session.get(AuditEntry, seq)


def find_entries(
    session: Session,
    *,
    subject_id: str | None = None,
    actor_user_id: str | None = None,
    actor_organisation_id: str | None = None,
    event_types: Sequence[str] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    after_seq: int | None = None,
    seqs_below: int | None = None,
    limit: int | None = None,
    newest_first: bool = False,
) -> list[AuditEntry]:
    """Entries matching every filter given, in sequence order (the newest first if asked)."""
    query = select(AuditEntry).order_by(AuditEntry.seq.desc() if newest_first else AuditEntry.seq)
    if subject_id is not None:
        query = query.where(AuditEntry.subject_id == subject_id)
    if actor_user_id is not None:
        query = query.where(AuditEntry.actor_user_id == actor_user_id)
    if actor_organisation_id is not None:
        query = query.where(AuditEntry.actor_organisation_id == actor_organisation_id)
    if event_types:
        query = query.where(AuditEntry.event_type.in_(list(event_types)))
    if since is not None:
        query = query.where(AuditEntry.recorded_at >= since)
    if until is not None:
        query = query.where(AuditEntry.recorded_at < until)
    if after_seq is not None:
        query = query.where(AuditEntry.seq > after_seq)
    if seqs_below is not None:
        query = query.where(AuditEntry.seq < seqs_below)
    if limit is not None:
        query = query.limit(limit)
    return list(session.execute(query).scalars())


def stream_entries(session: Session, start: int = 0, end: int | None = None, *, chunk: int = 10_000) -> Iterator[AuditEntry]:
    """Every entry from ``start`` (to ``end``, exclusive) in sequence order, fetched ``chunk`` at a time."""
    position = start
    while end is None or position < end:
        query = select(AuditEntry).where(AuditEntry.seq >= position).order_by(AuditEntry.seq).limit(chunk)
        if end is not None:
            query = query.where(AuditEntry.seq < end)
        rows = list(session.execute(query).scalars())
        if not rows:
            return
        yield from rows
        session.expunge_all()
        position = rows[-1].seq + 1


def stream_leaf_hashes(session: Session, start: int, end: int | None = None, *, chunk: int = 50_000) -> Iterator[tuple[int, bytes]]:
    """``(seq, leaf_hash)`` from ``start`` in sequence order."""
    position = start
    while end is None or position < end:
        query = (
            select(AuditEntry.seq, AuditEntry.leaf_hash)
            .where(AuditEntry.seq >= position).order_by(AuditEntry.seq).limit(chunk)
        )
        if end is not None:
            query = query.where(AuditEntry.seq < end)
        rows = session.execute(query).all()
        if not rows:
            return
        for seq, leaf in rows:
            yield seq, bytes(leaf)
        position = rows[-1][0] + 1


def lock_tree_state(session: Session) -> AuditTreeState:
    return session.execute(
        select(AuditTreeState).where(AuditTreeState.id == 1).with_for_update()
    ).scalar_one()


def tree_size(session: Session) -> int:
    return session.connection().execute(_TREE_SIZE).scalar_one()


_TREE_SIZE = select(AuditTreeState.size).where(AuditTreeState.id == 1)


def tree_state(session: Session) -> AuditTreeState:
    return session.execute(select(AuditTreeState).where(AuditTreeState.id == 1)).scalar_one()


def save_tree_state(session: Session, size: int, peaks: bytes) -> None:
    session.execute(update(AuditTreeState).where(AuditTreeState.id == 1).values(size=size, peaks=peaks))


def insert_nodes(session: Session, nodes: Sequence[tuple[int, int, bytes]]) -> None:
    if nodes:
        session.execute(insert(AuditTreeNode), [{"level": level, "index": i, "hash": h} for level, i, h in nodes])


def subtree_hashes(session: Session, keys: Iterable[tuple[int, int]]) -> tuple[int, dict[tuple[int, int], bytes]]:
    """The size of the stored tree, and the stored hashes of the complete subtrees ``(level, index)``.

    Level 0 are the entries' leaves.  One statement, one round trip: the keys (as a VALUES list)
    joined to the primary keys of the nodes and of the entries, which both databases answer from
    their indexes (SQLite would scan the table for a row-value IN list).  A proof is a few dozen keys.
    """
    wanted = list(dict.fromkeys(keys))
    if session.get_bind().dialect.name == "postgresql":
        return _postgresql_subtree_hashes(session, wanted)
    values = ", ".join(f"(CAST(:l{n} AS INTEGER), CAST(:i{n} AS BIGINT))" for n in range(len(wanted)))
    parameters: dict[str, int] = {}
    for n, (level, index) in enumerate(wanted):
        parameters[f"l{n}"], parameters[f"i{n}"] = level, index
    statement = "SELECT -1, size, NULL FROM audit_tree_state WHERE id = 1"
    if wanted:
        statement = (
            f"WITH wanted(level, position) AS (VALUES {values}) {statement}"  # nosec B608  # placeholders generated by position; values are bound parameters
            ' UNION ALL SELECT n.level, n."index", n.hash FROM wanted'
            ' JOIN audit_tree_nodes n ON n.level = wanted.level AND n."index" = wanted.position'
            " UNION ALL SELECT 0, e.seq, e.leaf_hash FROM wanted"
            " JOIN audit_entries e ON e.seq = wanted.position WHERE wanted.level = 0"
        )
    rows = session.connection().execute(text(statement), parameters).all()
    size = next(index for level, index, _ in rows if level == -1)
    return size, {(level, index): bytes(h) for level, index, h in rows if level >= 0}


# The same on PostgreSQL as one fixed statement taking the keys as two arrays: the server keeps it
# prepared, and a proof is one round trip with nothing to parse on either side.
_POSTGRESQL_SUBTREE_HASHES = (
    "SELECT -1, size, NULL FROM audit_tree_state WHERE id = 1"
    ' UNION ALL SELECT n.level, n."index", n.hash FROM unnest(%(levels)s::int[], %(indexes)s::bigint[])'
    ' AS wanted(level, position) JOIN audit_tree_nodes n ON n.level = wanted.level AND n."index" = wanted.position'
    " UNION ALL SELECT 0, e.seq, e.leaf_hash FROM unnest(%(levels)s::int[], %(indexes)s::bigint[])"
    " AS wanted(level, position) JOIN audit_entries e ON e.seq = wanted.position WHERE wanted.level = 0"
)


def _postgresql_subtree_hashes(session: Session, wanted: list[tuple[int, int]]) -> tuple[int, dict[tuple[int, int], bytes]]:
    cursor = session.connection().connection.cursor()
    try:
        cursor.execute(_POSTGRESQL_SUBTREE_HASHES, {"levels": [level for level, _ in wanted], "indexes": [i for _, i in wanted]})
        rows = cursor.fetchall()
    finally:
        cursor.close()
    size = next(index for level, index, _ in rows if level == -1)
    return size, {(level, index): bytes(h) for level, index, h in rows if level >= 0}


def stream_nodes(session: Session, *, chunk: int = 50_000) -> Iterator[tuple[int, int, bytes]]:
    """Every stored interior node, ordered by level then index."""
    last: tuple[int, int] = (0, -1)
    while True:
        query = (
            select(AuditTreeNode.level, AuditTreeNode.index, AuditTreeNode.hash)
            .where(or_(AuditTreeNode.level > last[0], and_(AuditTreeNode.level == last[0], AuditTreeNode.index > last[1])))
            .order_by(AuditTreeNode.level, AuditTreeNode.index).limit(chunk)
        )
        rows = session.execute(query).all()
        if not rows:
            return
        for level, index, h in rows:
            yield level, index, bytes(h)
        last = (rows[-1][0], rows[-1][1])


def latest_checkpoint(session: Session) -> AuditCheckpoint | None:
    return session.execute(
        select(AuditCheckpoint).order_by(AuditCheckpoint.tree_size.desc()).limit(1)
    ).scalar_one_or_none()


def get_checkpoint(session: Session, tree_size: int) -> AuditCheckpoint | None:
    return session.get(AuditCheckpoint, tree_size)


def all_checkpoints(session: Session) -> list[AuditCheckpoint]:
    return list(session.execute(select(AuditCheckpoint).order_by(AuditCheckpoint.tree_size)).scalars())


def insert_checkpoint(session: Session, checkpoint: AuditCheckpoint) -> None:
    session.add(checkpoint)
    session.flush()


# Verification reads every entry and every stored node once.  It goes round the ORM and the Core
# result machinery to the driver's own cursor: at a million rows their per-row cost is most of it.
_JSON_FIELDS = (
    "actor_organisation_id", "actor_role", "actor_user_id", "actor_username", "case_reference", "details",
    "event_type", "outcome", "purpose", "reason", "recorded_at", "request_id", "seq", "subject_id",
)


def _canonical_text(dialect: str) -> str:
    """SQL building audit.encoding's canonical text of an entry from its stored columns.

    ``to_json`` (PostgreSQL) and ``json_quote`` (SQLite) of a text escape exactly as Python's JSON
    encoder does with ``ensure_ascii=False``: quote and backslash, the short escapes for backspace,
    form feed, newline, carriage return and tab, other control characters as lower-case
    ``\\u00xx``, everything else as itself.  ``details`` is spliced in as stored, as the client's
    encoder does.  Recorded times are read as the text the database holds (SQLite holds the text
    SQLAlchemy wrote, "YYYY-MM-DD HH:MM:SS.ffffff" in UTC), so a stored form other than the one the
    log writes fails to match.  A test holds these to the same bytes as ``audit.encoding``.
    """
    if dialect == "postgresql":
        timestamp = "to_char(recorded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"
        quote = "COALESCE(to_json({})::text, 'null')"
    else:
        timestamp = "replace(CAST(recorded_at AS VARCHAR), ' ', 'T') || 'Z'"
        quote = "json_quote({})"
    parts = []
    for n, name in enumerate(_JSON_FIELDS):
        key = ("{" if n == 0 else ",") + f'"{name}":'
        if name == "details":
            value = "details"
        elif name == "recorded_at":
            value = f"""'"' || {timestamp} || '"'"""
        elif name == "seq":
            value = "CAST(seq AS VARCHAR)"
        else:
            value = quote.format(name)
        parts.append(f"'{key}' || {value}")
    parts.append(f"""',"v":{ENCODING_VERSION}}}'""")
    return f"COALESCE({' || '.join(parts)}, '')"


_ENTRY_CHUNK = {
    dialect: f"SELECT seq, {_canonical_text(dialect)}, leaf_hash FROM audit_entries WHERE seq >= {mark} "  # nosec B608  # built from constants and the driver's placeholder; values are bound
             f"ORDER BY seq LIMIT {mark}"
    for dialect, mark in (("postgresql", "%s"), ("sqlite", "?"))
}


def entry_chunk(session: Session, start: int, limit: int) -> tuple[list[int], list[bytes], list[bytes]]:
    """The numbers, canonical encodings and stored leaf hashes of up to ``limit`` entries from ``start``, in order.

    The encodings are ``audit.encoding``'s, built by the database from the stored columns (see
    ``_canonical_text``): the client is left only the hashing.
    """
    cursor = session.connection().connection.cursor()
    try:
        cursor.execute(_ENTRY_CHUNK[session.get_bind().dialect.name], (start, limit))
        rows = cursor.fetchall()
    finally:
        cursor.close()
    return [row[0] for row in rows], [row[1].encode("utf-8") for row in rows], [bytes(row[2] or b"") for row in rows]


def node_run(session: Session, level: int, start: int, end: int) -> bytes:
    """The stored hashes of the nodes ``start`` to ``end`` (exclusive) at ``level``, concatenated in index order."""
    mark = "%s" if session.get_bind().dialect.name == "postgresql" else "?"
    cursor = session.connection().connection.cursor()
    try:
        cursor.execute(
            f'SELECT hash FROM audit_tree_nodes WHERE level = {mark} AND "index" >= {mark} AND "index" < {mark} '  # nosec B608  # only the driver's placeholder is interpolated; values are bound
            'ORDER BY "index"', (level, start, end))
        return b"".join(bytes(h) for h, in cursor.fetchall())
    finally:
        cursor.close()


def count_nodes(session: Session) -> int:
    return session.execute(select(func.count()).select_from(AuditTreeNode)).scalar_one()


def count_entries(session: Session) -> int:
    return session.execute(select(func.count()).select_from(AuditEntry)).scalar_one()


REFUSAL_OUTCOMES = ("deny", "refused")


def find_refusals(session: Session, *, since: datetime, until: datetime, limit: int = 500) -> list[AuditEntry]:
    """Entries in the period that refused something (outcome ``deny`` or ``refused``), newest first.

    Permits and successes are not refusals, and neither are errors (a request that failed was not
    decided)."""
    query = (select(AuditEntry).where(AuditEntry.outcome.in_(REFUSAL_OUTCOMES), AuditEntry.recorded_at >= since,
                                      AuditEntry.recorded_at < until)
             .order_by(AuditEntry.seq.desc()).limit(limit))
    return list(session.execute(query).scalars())


def count_subject_entries_by_actor(session: Session, *, since: datetime, until: datetime) -> list[tuple[str, int]]:
    """How many entries about a subject each named actor made in the period, most first."""
    count = func.count(AuditEntry.seq)
    query = (select(AuditEntry.actor_username, count)
             .where(AuditEntry.subject_id.is_not(None), AuditEntry.actor_username.is_not(None),
                    AuditEntry.recorded_at >= since, AuditEntry.recorded_at < until)
             .group_by(AuditEntry.actor_username).order_by(count.desc(), AuditEntry.actor_username))
    return [(name, total) for name, total in session.execute(query).all() if name is not None]
