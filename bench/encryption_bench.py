"""What encrypting stored records costs, and how fast a KEK rotation re-wraps data keys.

Measures, on a fresh migrated SQLite file and (when a server URL is given) a fresh PostgreSQL
database:

* seal and open throughput for typical item sizes (a 1 KB JSON record, a 200 KB PDF), through the
  service (``RecordEncryption.seal``/``open``: data key row read, cache, AES-256-GCM) and for the
  cipher alone;
* the cost of encryption on a gather: storing N items, in gathers of 8 items per child and one
  transaction per gather (sealed together with ``seal_many``), with and without sealing them
  (ratio encrypted / plain), for a child's first gather (which makes their data key) and later ones;
* rotation speed: data keys re-wrapped per second with 10,000 subjects.

Writes ``bench/results/encryption_bench.json``.  Example::

    python -m bench.encryption_bench --postgres-url postgresql://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Column, LargeBinary, MetaData, Table, Uuid, create_engine, insert, text
from sqlalchemy.engine import make_url

from bench import summary_ms, write_result
from broker.platform.db import Database, normalise_database_url
from broker.platform.migrate import upgrade
from broker.platform.settings import Settings
from broker.records.encryption.envelope import DATA_KEY_PURPOSE, new_data_key, open_field, seal_field, wrap_data_key
from broker.records.encryption.keyring import add_development_kek, fingerprint, load_keyring
from broker.records.encryption.models import KeyEncryptionKeyRecord, SubjectDataKey
from broker.records.encryption.rotation import rotate
from broker.records.encryption.service import RecordEncryption, SealedField
from consent.models import Person, utcnow

ITEMS_PER_GATHER = 8
ITEMS = Table(
    "bench_items", MetaData(),
    Column("id", Uuid, primary_key=True),
    Column("subject_id", Uuid, nullable=False),
    Column("content", LargeBinary, nullable=False),
)


def json_item(size: int = 1024) -> bytes:
    """A record item like the adapters return: a JSON document of about ``size`` bytes."""
    body = {"category": "EP_ADVICE", "source_record_id": str(uuid.uuid4()), "summary": ""}
    filler = size - len(json.dumps(body).encode())
    body["summary"] = ("Reading age below chronological age; phonics support advised. " * 40)[:max(filler, 0)]
    return json.dumps(body).encode()


def pdf_item(size: int = 200 * 1024) -> bytes:
    """A scanned-report-like PDF: a header, then incompressible bytes (scans are already compressed)."""
    return b"%PDF-1.7\n" + os.urandom(size - 9)


@contextmanager
def fresh_database(backend: str, postgres_url: str | None, workdir: Path) -> Iterator[str]:
    if backend == "sqlite":
        path = workdir / f"bench-{uuid.uuid4().hex[:8]}.db"
        url = f"sqlite:///{path}"
        upgrade(url)
        yield url
        return
    assert postgres_url
    server = normalise_database_url(postgres_url)
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    name = f"broker_bench_{uuid.uuid4().hex[:10]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(server).set(database=name).render_as_string(hide_password=False)
    try:
        upgrade(url)
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def add_subjects(database: Database, count: int) -> list[uuid.UUID]:
    ids = [uuid.uuid4() for _ in range(count)]
    now = utcnow()
    with database.unit_of_work() as session:
        for start in range(0, count, 2000):
            session.execute(insert(Person.__table__), [
                {"id": i, "given_name": "Bench", "family_name": "Child", "is_subject": True,
                 "address_confidential": False, "created_at": now}
                for i in ids[start:start + 2000]
            ])
    return ids


def timed(repeat: int, operation: Callable[[], object]) -> list[float]:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        operation()
        samples.append(time.perf_counter() - started)
    return samples


def throughput(samples: list[float], size: int) -> dict[str, Any]:
    total = sum(samples)
    return {
        **summary_ms(samples),
        "operations_per_second": round(len(samples) / total, 1),
        "megabytes_per_second": round(len(samples) * size / total / 1e6, 1),
    }


def cipher_only(repeat: int) -> dict[str, Any]:
    figures = {}
    key, key_id, row = new_data_key(), uuid.uuid4(), str(uuid.uuid4())
    for label, content in (("json_1kb", json_item()), ("pdf_200kb", pdf_item())):
        sealed = seal_field(key, key_id, "record_items", row, "content", content)
        figures[label] = {
            "seal": throughput(timed(repeat, lambda content=content: seal_field(key, key_id, "record_items", row, "content", content)), len(content)),
            "open": throughput(timed(repeat, lambda sealed=sealed: open_field(key, "record_items", row, "content", sealed)), len(content)),
        }
    return figures


def service_throughput(database: Database, encryption: RecordEncryption, subject: uuid.UUID, repeat: int) -> dict[str, Any]:
    figures = {}
    with database.unit_of_work() as session:
        for label, content in (("json_1kb", json_item()), ("pdf_200kb", pdf_item())):
            row = uuid.uuid4()
            sealed = encryption.seal(session, subject, "record_items", row, "content", content)
            figures[label] = {
                "seal": throughput(timed(repeat, lambda row=row, content=content: encryption.seal(session, subject, "record_items", row, "content", content)), len(content)),
                "open": throughput(timed(repeat, lambda row=row, sealed=sealed: encryption.open(session, subject, "record_items", row, "content", sealed)), len(content)),
            }
    return figures


def store_items(
    database: Database, encryption: RecordEncryption | None, subjects: list[uuid.UUID], items: int, content: bytes,
) -> float:
    """Seconds to store ``items`` items in gathers of 8 per child, one transaction per gather."""
    started = time.perf_counter()
    for gather in range(items // ITEMS_PER_GATHER):
        subject = subjects[gather % len(subjects)]
        with database.unit_of_work() as session:
            ids = [uuid.uuid4() for _ in range(ITEMS_PER_GATHER)]
            stored = (
                encryption.seal_many(session, subject, [SealedField("bench_items", i, "content", content) for i in ids])
                if encryption else [content] * len(ids)
            )
            session.execute(insert(ITEMS), [
                {"id": i, "subject_id": subject, "content": value} for i, value in zip(ids, stored, strict=True)
            ])
    return time.perf_counter() - started


def gather_ratio(database: Database, encryption: RecordEncryption, items: int) -> dict[str, Any]:
    ITEMS.create(database.engine, checkfirst=True)
    subjects = add_subjects(database, max(items // ITEMS_PER_GATHER, 1))
    figures = {}
    for label, content, count in (("json_1kb", json_item(), items), ("pdf_200kb", pdf_item(), max(items // 10, 8))):
        store_items(database, None, subjects, ITEMS_PER_GATHER * 4, content)  # warm up
        plain = store_items(database, None, subjects, count, content)
        first = store_items(database, encryption, subjects, count, content)  # makes each child's data key
        later = store_items(database, encryption, subjects, count, content)  # the keys exist
        gathers = count / ITEMS_PER_GATHER
        figures[label] = {
            "items": count,
            "plain_ms_per_gather_of_8": round(plain / gathers * 1000, 3),
            "encrypted_ms_per_gather_of_8_first_for_child": round(first / gathers * 1000, 3),
            "encrypted_ms_per_gather_of_8_key_exists": round(later / gathers * 1000, 3),
            "ratio_encrypted_to_plain_first_for_child": round(first / plain, 3),
            "ratio_encrypted_to_plain_key_exists": round(later / plain, 3),
        }
    return figures


def rotation_speed(database: Database, settings: Settings, subjects: int, batch_size: int) -> dict[str, Any]:
    keyring = load_keyring(settings)
    kek_id, kek = keyring.current()
    ids = add_subjects(database, subjects)
    now = utcnow()
    with database.unit_of_work() as session:
        session.merge(KeyEncryptionKeyRecord(id=kek_id, fingerprint=fingerprint(kek)))
        for start in range(0, subjects, 2000):
            session.execute(insert(SubjectDataKey.__table__), [
                {"id": uuid.uuid4(), "subject_id": i, "purpose": DATA_KEY_PURPOSE, "kek_id": kek_id, "created_at": now,
                 "wrapped_key": wrap_data_key(kek, kek_id, i, DATA_KEY_PURPOSE, secrets.token_bytes(32))}
                for i in ids[start:start + 2000]
            ])
    add_development_kek(settings)
    new_keyring = load_keyring(settings)
    started = time.perf_counter()
    progress = rotate(database, new_keyring, batch_size=batch_size)
    seconds = time.perf_counter() - started
    return {
        "subjects": subjects,
        "batch_size": batch_size,
        "data_keys_rewrapped": progress.rewrapped,
        "seconds": round(seconds, 3),
        "data_keys_per_second": round(progress.rewrapped / seconds, 1),
    }


def run_backend(backend: str, args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    with fresh_database(backend, args.postgres_url, workdir) as url:
        settings = Settings(environment="test", database_url=url, data_dir=workdir / f"data-{backend}")
        database = Database(settings)
        try:
            encryption = RecordEncryption.from_settings(settings)
            (subject,) = add_subjects(database, 1)
            print(f"[{backend}] seal/open through the service", flush=True)
            service = service_throughput(database, encryption, subject, args.repeat)
            print(f"[{backend}] storing {args.items} items with and without encryption", flush=True)
            ratio = gather_ratio(database, encryption, args.items)
            print(f"[{backend}] rotating {args.subjects} data keys", flush=True)
            rotation = rotation_speed(database, settings, args.subjects, args.batch_size)
        finally:
            database.dispose()
    return {"service_seal_open": service, "gather_storage": ratio, "rotation": rotation}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--items", type=int, default=2000, help="1 KB items stored with and without encryption (200 KB: a tenth)")
    parser.add_argument("--subjects", type=int, default=10_000, help="subjects (data keys) to rotate")
    parser.add_argument("--batch-size", type=int, default=500, help="data keys re-wrapped per transaction")
    parser.add_argument("--repeat", type=int, default=300, help="seal/open repetitions per size")
    parser.add_argument(
        "--postgres-url", default=os.environ.get("BROKER_TEST_DATABASE_URL"),
        help="a PostgreSQL server to run on as well (a scratch database is made and dropped); "
        "default: BROKER_TEST_DATABASE_URL; without it only SQLite is measured",
    )
    args = parser.parse_args()
    figures: dict[str, Any] = {"cipher_only": cipher_only(args.repeat)}
    with tempfile.TemporaryDirectory(prefix="encryption-bench-") as workdir:
        for backend in ("sqlite", "postgresql") if args.postgres_url else ("sqlite",):
            figures[backend] = run_backend(backend, args, Path(workdir))
    write_result(
        "encryption_bench", figures, title="Encryption of stored records: cost on a gather, and KEK rotation speed",
        targets={
            "gather_storage ratio": "encrypted / plain storage time of a gather; well under 2 for 1 KB items",
            "rotation": "10,000 data keys re-wrapped in well under a minute",
        },
    )
    print(json.dumps({
        backend: {**{f"gather {label}": {k: v for k, v in g.items() if k.startswith("ratio")}
                     for label, g in f["gather_storage"].items()},
                  "rotation_data_keys_per_second": f["rotation"]["data_keys_per_second"]}
        for backend, f in figures.items() if backend != "cipher_only"
    }, indent=2))


if __name__ == "__main__":
    main()
