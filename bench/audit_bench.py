"""The audit log's cost: appends per second against a plain insert, verification speed, proof times.

For each database (SQLite in a temporary file; PostgreSQL in a fresh database on the server given)
this measures:

- appends per second through ``audit.service.append`` (counter lock, canonical encoding, leaf
  hash), one transaction per append, with 1 writer and with 8 concurrent writers (as 8 threads of
  one process, and as 8 processes, the way a server's workers write), and the same for
  a plain INSERT of the same row into a table of the same shape, without hashing or numbering;
  the ratio of the two is the figure (target: at least 0.5);
- verification (``audit.verification.verify_log``) of a log of ``--log-size`` entries (default
  1,000,000), in entries per second (target: at least 50,000);
- the time to produce an inclusion proof and a consistency proof at that size (target: under 5 ms).

Results go to bench/results/audit_bench.json.  Example: ``python -m bench.audit_bench
--postgres-url postgresql://postgres@127.0.0.1:5432/postgres``.
"""

from __future__ import annotations

import argparse
import itertools
import multiprocessing
import os
import random
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Column, Index, MetaData, Table, create_engine, insert, text
from sqlalchemy.engine import make_url

from audit import notes, service, tree
from audit.encoding import canonical_json
from audit.events import AuditEvent
from audit.models import AuditEntry
from audit.verification import verify_log
from bench import summary_ms, write_result
from broker.platform.db import Database, normalise_database_url
from broker.platform.migrate import upgrade
from broker.platform.settings import Settings

ORIGIN = "bench.example/audit"
TARGETS = {
    "append ratio (audit append / plain insert)": ">= 0.5",
    "verification": ">= 50,000 entries/s",
    "inclusion and consistency proofs": "< 5 ms",
}


def _event(n: int) -> AuditEvent:
    return AuditEvent(
        event_type="disclosure.made", outcome="permit", actor_user_id=str(uuid.UUID(int=n % 97)),
        actor_username="sen.caseworker", actor_role="caseworker", actor_organisation_id=str(uuid.UUID(int=7)),
        subject_id=str(uuid.UUID(int=n % 1013)), purpose="EHC_NEEDS_ASSESSMENT", case_reference=f"EHC-{n % 500}",
        reason="needs assessment", request_id=uuid.uuid4().hex,
        details={"categories": ["EDUCATION", "HEALTH"], "consent_id": str(uuid.UUID(int=n)), "consent_version": 3,
                 "items": [{"id": f"item-{n}", "sha256": "ab" * 32}]},
    )


def _plain_table() -> Table:
    """A table shaped like audit_entries, with no triggers, counter or hashing."""
    metadata = MetaData()
    source = AuditEntry.__table__
    table = Table("bench_plain_entries", metadata, *[
        Column(c.name, c.type, primary_key=c.primary_key, nullable=c.nullable, autoincrement=False)
        for c in source.columns
    ])
    for index in source.indexes:
        Index("bench_" + index.name, *[table.c[c.name] for c in index.columns])
    return table


def _rate(database: Database, writers: int, total: int, one: Any) -> float:
    """Transactions per second when ``writers`` threads run ``total`` transactions of ``one(session, n)``."""
    counter = itertools.count()
    barrier = threading.Barrier(writers + 1)
    errors: list[BaseException] = []

    def work() -> None:
        barrier.wait()
        try:
            while (n := next(counter)) < total:
                with database.sessions() as session:
                    one(session, n)
                    session.commit()
        except BaseException as exc:  # reported after the run
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(writers)]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise errors[0]
    return total / elapsed


def _audit_append(session: Any, n: int) -> None:
    service.append(session, _event(n))


def _plain_insert(table: Table, seq: int) -> Any:
    at = datetime.now(UTC)

    def one(session: Any, n: int) -> None:
        event = _event(n)
        row = {name: getattr(event, name) for name in (
            "event_type", "outcome", "actor_user_id", "actor_username", "actor_role", "actor_organisation_id",
            "subject_id", "purpose", "case_reference", "reason", "request_id")}
        session.execute(insert(table), [{**row, "seq": seq + n, "recorded_at": at,
                                         "details": canonical_json(dict(event.details)), "leaf_hash": b"\0" * 32}])
    return one


def _process_writer(url: str, data_dir: str, kind: str, seq: int, start: Any, counter: Any, total: int) -> None:
    database = Database(Settings(environment="test", database_url=url, data_dir=Path(data_dir), database_pool_size=1))
    one = _audit_append if kind == "audit" else _plain_insert(_plain_table(), seq)
    start.wait()
    try:
        while True:
            with counter.get_lock():
                n = counter.value
                counter.value += 1
            if n >= total:
                return
            with database.sessions() as session:
                one(session, n)
                session.commit()
    finally:
        database.dispose()


def _rate_processes(database: Database, writers: int, total: int, kind: str, seq: int) -> float:
    """Transactions per second when ``writers`` processes (as a server's workers would) run ``total``
    transactions between them, each process with its own connection."""
    context = multiprocessing.get_context("fork")
    start, counter = context.Event(), context.Value("q", 0)
    url = database.engine.url.render_as_string(hide_password=False)
    processes = [context.Process(target=_process_writer, args=(
        url, str(Path(tempfile.gettempdir())), kind, seq, start, counter, total)) for _ in range(writers)]
    for process in processes:
        process.start()
    time.sleep(1.0)  # let every process connect before the clock starts
    started = time.perf_counter()
    start.set()
    for process in processes:
        process.join()
    elapsed = time.perf_counter() - started
    if any(process.exitcode for process in processes):
        raise RuntimeError("a writer process failed")
    return total / elapsed


def measure_appends(database: Database, appends: int) -> dict[str, Any]:
    table = _plain_table()
    table.metadata.create_all(database.engine)
    plain_seq = itertools.count(10**9, 10**6)

    figures: dict[str, Any] = {}
    runs = [("1 writer", 1, "threads"), ("8 writers (threads of one process)", 8, "threads"),
            ("8 writers (separate processes)", 8, "processes")]
    for label, writers, how in runs:
        # Alternate the two so that neither gets a warmer cache or a quieter machine.
        if how == "threads":
            audit_rate = _rate(database, writers, appends, _audit_append)
            plain_rate = _rate(database, writers, appends, _plain_insert(table, next(plain_seq)))
        else:
            database.engine.dispose()  # no pooled connection may cross a fork
            audit_rate = _rate_processes(database, writers, appends, "audit", 0)
            plain_rate = _rate_processes(database, writers, appends, "plain", next(plain_seq))
        figures[label] = {
            "audit appends per second": round(audit_rate, 1),
            "plain inserts per second": round(plain_rate, 1),
            "ratio": round(audit_rate / plain_rate, 3),
        }
        print(f"  {label}: audit {audit_rate:,.0f}/s, plain {plain_rate:,.0f}/s, "
              f"ratio {audit_rate / plain_rate:.2f}", flush=True)
    return figures


def build_log(database: Database, size: int) -> None:
    """Grow the log to ``size`` entries in large transactions, then build the tree and sign it."""
    chunk = 5_000
    with database.sessions() as session:
        have = service.repository.next_seq(session)
    started = time.perf_counter()
    while have < size:
        n = min(chunk, size - have)
        with database.sessions() as session:
            service.append_many(session, [_event(have + i) for i in range(n)])
            session.commit()
        have += n
        if have % 100_000 < chunk:
            print(f"  built {have:,} of {size:,} entries ({time.perf_counter() - started:.0f} s)", flush=True)
    with database.sessions() as session:
        tree.extend(session)
        session.commit()


def measure_verification_and_proofs(database: Database, size: int, key: Ed25519PrivateKey) -> dict[str, Any]:
    build_log(database, size)
    with database.sessions() as session:
        service.sign_checkpoint(session, key, ORIGIN)
        session.commit()
    verifier = notes.parse_verifier_key(notes.verifier_key(ORIGIN, key.public_key()))
    with database.sessions() as session:
        started = time.perf_counter()
        report = verify_log(session, verifier, progress=lambda done, total: print(
            f"  verified {done:,} of {total:,} ({time.perf_counter() - started:.1f} s)", flush=True))
        elapsed = time.perf_counter() - started
    if not report.ok:
        raise SystemExit(f"the benchmark log failed verification: {report.problems}")
    randomness = random.Random(1)
    inclusion, consistency = [], []
    with database.sessions() as session:
        for _ in range(200):
            index = randomness.randrange(size)
            t = time.perf_counter()
            service.inclusion_proof(session, index, size)
            inclusion.append(time.perf_counter() - t)
            first = randomness.randrange(1, size)
            t = time.perf_counter()
            service.consistency_proof(session, first, size)
            consistency.append(time.perf_counter() - t)
    return {
        "log size": size,
        "verification seconds": round(elapsed, 2),
        "verification entries per second": round(size / elapsed),
        "inclusion proof": summary_ms(inclusion),
        "consistency proof": summary_ms(consistency),
    }


def _load() -> str:
    return " ".join(f"{n:.2f}" for n in os.getloadavg())


def run_backend(name: str, url: str, args: argparse.Namespace, data_dir: Path) -> dict[str, Any]:
    print(f"== {name}", flush=True)
    upgrade(url)
    settings = Settings(environment="test", database_url=url, data_dir=data_dir, database_pool_size=10)
    database = Database(settings)
    try:
        # The machine is shared: its load when each part ran says how far to trust the figure.
        figures: dict[str, Any] = {"load average at start (1, 5, 15 min)": _load()}
        figures["appends"] = measure_appends(database, args.appends)
        figures["load average before verification"] = _load()
        figures["verification and proofs"] = measure_verification_and_proofs(
            database, args.log_size, Ed25519PrivateKey.generate())
        figures["load average at end"] = _load()
        print(f"  {figures['verification and proofs']}", flush=True)
        return figures
    finally:
        database.dispose()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.audit_bench", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--appends", type=int, default=2000, help="transactions per append measurement (default 2000)")
    parser.add_argument("--log-size", type=int, default=1_000_000, help="entries in the log to verify (default 1,000,000)")
    parser.add_argument(
        "--postgres-url", default=os.environ.get("BROKER_BENCH_POSTGRES_URL") or os.environ.get("BROKER_TEST_DATABASE_URL")
        or "postgresql://postgres@127.0.0.1:5432/postgres",
        help="a PostgreSQL server to create a scratch database on ('' to skip PostgreSQL)")
    parser.add_argument("--skip-sqlite", action="store_true", help="measure PostgreSQL only")
    parser.add_argument("--results-name", default="audit_bench",
                        help="write bench/results/<name>.json (default audit_bench; use another for a partial run)")
    args = parser.parse_args(argv)
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="audit-bench-") as scratch:
        if not args.skip_sqlite:
            results["sqlite"] = run_backend("SQLite", f"sqlite:///{scratch}/bench.db", args, Path(scratch))
        if args.postgres_url:
            server = normalise_database_url(args.postgres_url)
            admin = create_engine(server, isolation_level="AUTOCOMMIT")
            name = f"audit_bench_{uuid.uuid4().hex[:8]}"
            with admin.connect() as connection:
                connection.execute(text(f'CREATE DATABASE "{name}"'))
            try:
                url = make_url(server).set(database=name).render_as_string(hide_password=False)
                results["postgresql"] = run_backend("PostgreSQL", url, args, Path(scratch))
            finally:
                with admin.connect() as connection:
                    connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                admin.dispose()
    write_result(args.results_name, results, title="Audit log: appends, verification and proofs", targets=TARGETS)


if __name__ == "__main__":
    main(sys.argv[1:])
