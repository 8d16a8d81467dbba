"""A stream of audited writes against a running broker, and the check that nothing is half-written."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import create_engine, select

from audit.models import AuditEntry
from broker.dev.demo import demo_id
from broker.platform.db import normalise_database_url
from consent.models import Consent, ConsentStatusEvent

AMELIA = str(demo_id("person:amelia"))
SEN, SCHOOL = (str(demo_id("org:" + code)) for code in ("NCC-SEN", "SCH-RIVERSIDE"))


def grant_body() -> dict[str, object]:
    return {
        "subject_id": AMELIA, "basis": "confidentiality",
        "scope": [{"data_category": "EDU_ATTENDANCE", "purpose": "EHC_NEEDS_ASSESSMENT",
                   "recipient_organisation_id": SEN, "holder_organisation_id": SCHOOL}],
        "valid_until": (datetime.now(UTC) + timedelta(days=30)).isoformat(),
    }


@dataclass
class WriteStream:
    """Threads granting permissions (and withdrawing every other one) until stopped.

    ``acknowledged`` holds what the broker answered success for: ids of granted permissions,
    and ids of withdrawn ones.  ``statuses`` counts every answer; ``failures`` every transport
    error (the connection refused or cut), which is no acknowledgement.
    """

    base_url: str
    headers: dict[str, str]
    writers: int = 4
    granted: set[str] = field(default_factory=set)
    withdrawn: set[str] = field(default_factory=set)
    statuses: dict[int, int] = field(default_factory=dict)
    unavailable: list[httpx.Response] = field(default_factory=list)
    failures: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _threads: list[threading.Thread] = field(default_factory=list)

    def start(self) -> None:
        for _ in range(self.writers):
            thread = threading.Thread(target=self._write, daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=30)

    def count(self, status: int) -> int:
        with self._lock:
            return self.statuses.get(status, 0)

    def _note(self, response: httpx.Response) -> None:
        with self._lock:
            self.statuses[response.status_code] = self.statuses.get(response.status_code, 0) + 1
            if response.status_code == 503:
                self.unavailable.append(response)

    def _write(self) -> None:
        with httpx.Client(base_url=self.base_url, headers=self.headers, timeout=30) as client:
            number = 0
            while not self._stop.is_set():
                number += 1
                try:
                    response = client.post("/api/v1/consents", json=grant_body())
                    self._note(response)
                    if response.status_code != 201:
                        continue
                    consent_id = response.json()["id"]
                    with self._lock:
                        self.granted.add(consent_id)
                    if number % 2:
                        continue
                    response = client.post(f"/api/v1/consents/{consent_id}/withdraw", json={"reason": "changed"})
                    self._note(response)
                    if response.status_code == 200:
                        with self._lock:
                            self.withdrawn.add(consent_id)
                except httpx.TransportError:
                    with self._lock:
                        self.failures += 1
                    self._stop.wait(0.05)


@dataclass(frozen=True)
class Stored:
    """The permissions and withdrawals in the database, and those the audit log records."""

    consents: set[str]
    withdrawals: set[str]
    audited_grants: set[str]
    audited_withdrawals: set[str]
    audit_seqs: list[int]


def stored(database_url: str) -> Stored:
    engine = create_engine(normalise_database_url(database_url))
    try:
        with engine.connect() as connection:
            consents = {str(c) for c in connection.scalars(select(Consent.id))}
            withdrawals = {str(c) for c in connection.scalars(
                select(ConsentStatusEvent.consent_id).where(ConsentStatusEvent.status == "withdrawn"))}
            audited: dict[str, set[str]] = {"consent.granted": set(), "consent.withdrawn": set()}
            for event_type, details in connection.execute(
                    select(AuditEntry.event_type, AuditEntry.details).where(AuditEntry.event_type.in_(audited))):
                audited[event_type].add(json.loads(details)["consent_id"])
            seqs = list(connection.scalars(select(AuditEntry.seq).order_by(AuditEntry.seq)))
    finally:
        engine.dispose()
    return Stored(consents, withdrawals, audited["consent.granted"], audited["consent.withdrawn"], seqs)


def assert_nothing_half_written(before: Stored, after: Stored, stream: WriteStream) -> None:
    """Every acknowledged write is stored; every stored change has its audit entry and every
    audit entry its change; the audit log is numbered without gaps."""
    assert stream.granted <= after.consents, "a permission the broker acknowledged is missing"
    assert stream.withdrawn <= after.withdrawals, "a withdrawal the broker acknowledged is missing"
    new_consents = after.consents - before.consents
    assert new_consents == after.audited_grants - before.audited_grants
    withdrawals, audited = after.withdrawals - before.withdrawals, after.audited_withdrawals - before.audited_withdrawals
    assert withdrawals == audited, (withdrawals - audited, audited - withdrawals, len(withdrawals))
    assert after.audit_seqs == list(range(len(after.audit_seqs)))
