"""How long does one decision take with a council's worth of permissions (and more) on file?

Loads ``--subjects`` children and ``--scope-rows`` consent scope rows (two permissions per child,
some withdrawn, some changed, some given by parents of young people past compulsory school age)
into a freshly migrated database with Core executemany inserts, then times ``consent.service.decide``
in-process on a mix of permitted and refused questions.  Writes ``bench/results/decision_bench.json``.

    python -m bench.decision_bench                       # SQLite, and PostgreSQL if a URL is set
    python -m bench.decision_bench --backend sqlite --subjects 1000 --scope-rows 10000
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, insert, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from bench import summary_ms, write_result
from broker.platform.db import create_database_engine, normalise_database_url
from broker.platform.migrate import upgrade
from consent.models import (
    Consent,
    ConsentScope,
    ConsentStatusEvent,
    ConsentVersion,
    Organisation,
    Person,
)
from consent.service import decide
from consent.vocabulary import DATA_CATEGORIES

CATEGORIES = [c.code for c in DATA_CATEGORIES.values() if c.tier < 3]
PURPOSES = ["EHC_NEEDS_ASSESSMENT", "EHC_ANNUAL_REVIEW", "SOCIAL_CARE_ELIGIBILITY", "TRANSITION_ADULT"]
BATCH = 10_000
NOW = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)


def _progress(label: str, done: int, total: int, started: float) -> None:
    rate = done / max(time.perf_counter() - started, 1e-9)
    sys.stderr.write(f"\r  {label}: {done:,}/{total:,} ({100 * done // max(total, 1)}%, {rate:,.0f}/s)   ")
    if done >= total:
        sys.stderr.write("\n")
    sys.stderr.flush()


def _insert(engine: Engine, table: Any, rows: Iterator[dict[str, Any]], total: int, label: str) -> None:
    started = time.perf_counter()
    done = 0
    batch: list[dict[str, Any]] = []
    with engine.begin() as connection:
        for row in rows:
            batch.append(row)
            if len(batch) == BATCH:
                connection.execute(insert(table), batch)
                done += len(batch)
                batch = []
                _progress(label, done, total, started)
        if batch:
            connection.execute(insert(table), batch)
            done += len(batch)
    _progress(label, done, total, started)


def fresh_database(backend: str, postgres_url: str | None, sqlite_path: Path) -> str:
    """A new, migrated, empty database for the benchmark."""
    if backend == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(f"{sqlite_path}{suffix}").unlink(missing_ok=True)
        url = f"sqlite:///{sqlite_path}"
    else:
        assert postgres_url is not None
        server = make_url(normalise_database_url(postgres_url))
        name = server.database or "decision_bench"
        admin = create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        url = server.set(database=name).render_as_string(hide_password=False)
    upgrade(url)
    return url


def load(engine: Engine, subjects: int, scope_rows: int, rng: random.Random) -> dict[str, Any]:
    """Bulk-load the organisations, children, permissions and scope rows; returns what was loaded."""
    recipients = [uuid.UUID(int=rng.getrandbits(128)) for _ in range(4)]
    holders = [uuid.UUID(int=rng.getrandbits(128)) for _ in range(6)]
    _insert(engine, Organisation.__table__, (
        {"id": org, "code": f"ORG-{n}", "name": f"Organisation {n}", "kind": "team", "created_at": NOW}
        for n, org in enumerate(recipients + holders)
    ), len(recipients) + len(holders), "organisations")

    subject_ids = [uuid.UUID(int=rng.getrandbits(128)) for _ in range(subjects)]
    births = {s: date(2008, 1, 1) + timedelta(days=rng.randrange(13 * 365)) for s in subject_ids}
    _insert(engine, Person.__table__, (
        {"id": s, "given_name": "Child", "family_name": f"No {n}", "date_of_birth": births[s], "is_subject": True,
         "address_confidential": n % 50 == 0, "created_at": NOW}
        for n, s in enumerate(subject_ids)
    ), subjects, "subjects")

    consents_per_subject = 2
    rows_per_consent = max(1, scope_rows // (subjects * consents_per_subject))
    plan = []  # (consent id, version id, subject, standing, withdrawn, superseded-by-version)
    for s in subject_ids:
        for _ in range(consents_per_subject):
            plan.append((uuid.uuid4(), uuid.uuid4(), s, "pr_holder" if rng.random() < 0.9 else "young_person",
                         rng.random() < 0.1))
    total_consents = len(plan)
    _insert(engine, Consent.__table__, (
        {"id": c, "subject_id": s, "created_at": NOW - timedelta(days=400)} for c, _, s, _, _ in plan
    ), total_consents, "consents")
    _insert(engine, ConsentVersion.__table__, (
        {"id": v, "consent_id": c, "version": 1, "basis": "confidentiality", "grantor_person_id": None,
         "grantor_organisation_id": recipients[0], "standing": standing, "method": "portal",
         "notice_version": "bench", "valid_from": NOW - timedelta(days=400),
         "valid_until": NOW + timedelta(days=rng.randrange(-30, 700)), "recorded_by_name": "bench",
         "recorded_at": NOW - timedelta(days=400)}
        for c, v, _, standing, _ in plan
    ), total_consents, "versions")
    _insert(engine, ConsentStatusEvent.__table__, (
        {"id": uuid.uuid4(), "consent_id": c, "consent_version_id": v, "status": status,
         "effective_at": NOW - timedelta(days=400 if status == "active" else 10), "recorded_by_name": "bench"}
        for c, v, _, _, withdrawn in plan for status in (("active", "withdrawn") if withdrawn else ("active",))
    ), total_consents + sum(1 for p in plan if p[4]), "status events")

    def scope() -> Iterator[dict[str, Any]]:
        for _, v, s, _, _ in plan:
            purpose, recipient = rng.choice(PURPOSES), rng.choice(recipients)
            start = rng.randrange(len(CATEGORIES))
            for i in range(rows_per_consent):
                category, holder = CATEGORIES[(start + i) % len(CATEGORIES)], rng.choice(holders)
                yield {"id": uuid.uuid4(), "consent_version_id": v, "subject_id": s, "data_category": category,
                       "purpose": purpose, "recipient_organisation_id": recipient, "holder_organisation_id": holder}

    total_rows = total_consents * rows_per_consent
    _insert(engine, ConsentScope.__table__, scope(), total_rows, "scope rows")
    with engine.begin() as connection:
        connection.execute(text("ANALYZE"))
    return {"subjects": subjects, "consents": total_consents, "scope_rows": total_rows}


def _uuid(value: Any) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(value)


def questions(engine: Engine, count: int, rng: random.Random) -> list[tuple[uuid.UUID, uuid.UUID, str, list[str], uuid.UUID]]:
    """``count`` questions drawn from the database: 70% about a stored scope row (often permitted),
    30% about a random subject, recipient and holder (almost always refused)."""
    about_rows = int(count * 0.7)
    with engine.connect() as connection:
        stored = connection.execute(text(
            "SELECT subject_id, recipient_organisation_id, purpose, holder_organisation_id, data_category "
            "FROM consent_scopes ORDER BY random() LIMIT :n"), {"n": about_rows}).all()
        subjects = [_uuid(r[0]) for r in connection.execute(
            text("SELECT id FROM people ORDER BY random() LIMIT :n"), {"n": count - about_rows})]
        organisations = [_uuid(r[0]) for r in connection.execute(text("SELECT id FROM organisations"))]
    asked = [
        (_uuid(subject), _uuid(recipient), purpose, list(dict.fromkeys([category, *rng.sample(CATEGORIES, 2)])), _uuid(holder))
        for subject, recipient, purpose, holder, category in stored
    ]
    asked += [
        (subject, rng.choice(organisations), rng.choice(PURPOSES), rng.sample(CATEGORIES, 3), rng.choice(organisations))
        for subject in subjects
    ]
    rng.shuffle(asked)
    return asked


def measure(engine: Engine, decisions: int, rng: random.Random) -> dict[str, Any]:
    """Time ``decide`` in-process on questions drawn from the database (see :func:`questions`)."""
    asked = questions(engine, decisions + 200, rng)
    warm_up, asked = asked[:200], asked[200:]
    timings: list[float] = []
    cpu: list[float] = []
    permits = 0
    # The loaded ids stay in memory for choosing questions; freezing them keeps the garbage
    # collector from walking them during the timed calls, as it would not in a server process.
    gc.collect()
    gc.freeze()
    with Session(engine) as session:
        for subject, recipient, purpose, categories, holder in warm_up:
            decide(session, subject, recipient, purpose, categories, holder, NOW)
        load_before = os.getloadavg()[0]
        started = time.perf_counter()
        for number, (subject, recipient, purpose, categories, holder) in enumerate(asked, start=1):
            c0, t0 = time.thread_time(), time.perf_counter()
            decision = decide(session, subject, recipient, purpose, categories, holder, NOW)
            timings.append(time.perf_counter() - t0)
            cpu.append(time.thread_time() - c0)
            permits += bool(decision.permitted_categories)
            if number % 1000 == 0 or number == len(asked):
                _progress("decisions", number, len(asked), started)
    gc.unfreeze()
    figures = summary_ms(timings)
    # On a shared machine, wall-clock tails include time spent waiting for a CPU; the calling
    # thread's CPU time shows what a decision itself costs (for PostgreSQL, excluding the server).
    figures["thread_cpu"] = summary_ms(cpu)
    figures["decisions_with_a_permit"] = permits
    figures["load_average_before_and_after"] = [round(load_before, 2), round(os.getloadavg()[0], 2)]
    return figures


def _existing_database(backend: str, postgres_url: str | None, sqlite_path: Path) -> str:
    if backend == "sqlite":
        return f"sqlite:///{sqlite_path}"
    assert postgres_url is not None
    return normalise_database_url(postgres_url)


def _counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as connection:
        return {
            "subjects": connection.execute(text("SELECT count(*) FROM people")).scalar_one(),
            "consents": connection.execute(text("SELECT count(*) FROM consents")).scalar_one(),
            "scope_rows": connection.execute(text("SELECT count(*) FROM consent_scopes")).scalar_one(),
        }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.decision_bench",
        description="Time the decision function (median and 99th percentile) with many permissions on file.",
    )
    parser.add_argument("--backend", action="append", choices=["sqlite", "postgresql"],
                        help="database(s) to measure (repeatable; default: sqlite, plus postgresql when a URL is set)")
    parser.add_argument("--postgres-url", default=os.environ.get("BROKER_BENCH_POSTGRES_URL") or (
        make_url(os.environ["BROKER_TEST_DATABASE_URL"]).set(database="decision_bench").render_as_string(hide_password=False)
        if os.environ.get("BROKER_TEST_DATABASE_URL") else None),
        help="PostgreSQL database to (re)create for the run (default: BROKER_BENCH_POSTGRES_URL, or the "
             "server of BROKER_TEST_DATABASE_URL with database decision_bench); it is dropped and recreated")
    parser.add_argument("--sqlite-path", type=Path, default=Path("/tmp/decision_bench.db"),
                        help="SQLite file to (re)create (default: /tmp/decision_bench.db)")
    parser.add_argument("--subjects", type=int, default=100_000, help="children to load (default 100,000)")
    parser.add_argument("--scope-rows", type=int, default=1_000_000, help="consent scope rows to load (default 1,000,000)")
    parser.add_argument("--decisions", type=int, default=5_000, help="decisions to time (default 5,000)")
    parser.add_argument("--seed", type=int, default=7, help="random seed, for repeatable data")
    parser.add_argument("--reuse", action="store_true",
                        help="time decisions on the database a previous run loaded, without reloading it")
    args = parser.parse_args(argv)
    backends = args.backend or (["sqlite", "postgresql"] if args.postgres_url else ["sqlite"])
    if "postgresql" in backends and not args.postgres_url:
        parser.error("--backend postgresql needs --postgres-url (or BROKER_BENCH_POSTGRES_URL)")

    figures: dict[str, Any] = {}
    for backend in backends:
        rng = random.Random(args.seed)
        if args.reuse:
            url = _existing_database(backend, args.postgres_url, args.sqlite_path)
            engine = create_database_engine(url)
            loaded, load_seconds = _counts(engine), None
        else:
            print(f"{backend}: loading {args.subjects:,} subjects and {args.scope_rows:,} scope rows", file=sys.stderr)
            url = fresh_database(backend, args.postgres_url, args.sqlite_path)
            engine = create_database_engine(url)
            started = time.perf_counter()
            loaded = load(engine, args.subjects, args.scope_rows, rng)
            load_seconds = round(time.perf_counter() - started, 1)
        print(f"{backend}: timing {args.decisions:,} decisions", file=sys.stderr)
        result = measure(engine, args.decisions, rng)
        result.update({**loaded, "load_seconds": load_seconds})
        figures[backend] = result
        engine.dispose()
        print(f"{backend}: median {result['median_ms']} ms, p99 {result['p99_ms']} ms", file=sys.stderr)
    write_result("decision_bench", figures, title="Decision function latency (in-process)",
                 targets={"p99": "under 2 ms with 100,000 subjects and 1,000,000 scope rows"})


if __name__ == "__main__":
    main()
