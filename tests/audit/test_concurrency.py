"""Many writers at once: entries are numbered 0..n-1 with no gaps and no duplicates."""

from __future__ import annotations

import threading

from sqlalchemy import select

from audit import merkle, service, tree
from audit.models import AuditEntry
from broker.platform.db import Database
from tests.audit.builders import make_event

WRITERS = 16
APPENDS = 20


def test_concurrent_writers_get_consecutive_numbers(database: Database) -> None:
    start = threading.Barrier(WRITERS)
    failures: list[BaseException] = []
    committed: list[int] = []
    lock = threading.Lock()

    def writer(number: int) -> None:
        try:
            start.wait()
            for i in range(APPENDS):
                with database.sessions() as session:
                    seq = service.append(session, make_event(details={"writer": number, "i": i}))
                    if i % 5 == 4:
                        session.rollback()  # an audited action that failed: its number is given back
                        continue
                    session.commit()
                with lock:
                    committed.append(seq)
        except BaseException as exc:  # pragma: no cover - reported below
            failures.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    expected = WRITERS * APPENDS * 4 // 5
    assert sorted(committed) == list(range(expected))
    with database.sessions() as session:
        stored = session.execute(select(AuditEntry.seq, AuditEntry.leaf_hash).order_by(AuditEntry.seq)).all()
        assert [seq for seq, _ in stored] == list(range(expected))
        assert service.append(session, make_event()) == expected
        head = tree.extend(session)
        last = session.get(AuditEntry, expected)
        assert last is not None
        assert head == tree.TreeHead(expected + 1, merkle.root_from_leaf_hashes([h for _, h in stored] + [last.leaf_hash]))
