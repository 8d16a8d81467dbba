"""After real gathers against the simulators: no plaintext of any stored item in the raw
database (the SQLite file and its write-ahead log, or a pg_dump of PostgreSQL), a ciphertext
swapped between rows fails, and nothing secret or personal reaches the logs or the audit log."""

from __future__ import annotations

import base64
import io
import logging
import os
import re
import subprocess
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from adapters.simulators.pdf import scanned_report
from audit.models import AuditEntry
from broker.dev.demo import demo_id
from broker.dev.identity_keys import dev_client_secret
from broker.gathering.models import GatheredItem
from broker.platform.db import Database
from broker.platform.logging import JsonFormatter
from broker.platform.settings import EMBEDDED_SIMULATOR_SECRET, Settings
from broker.records.encryption.keyring import load_keyring

LEO = str(demo_id("person:leo"))
CATEGORIES = ["EP_ADVICE", "SC_ASSESSMENT", "EDU_ATTENDANCE", "EDU_SEN_SUPPORT", "EDU_ADVICE"]
# The school's records are taken on the council's statutory duty: the family is asked for the rest only.
ON_PERMISSION = ["EP_ADVICE", "SC_ASSESSMENT"]


def org(code: str) -> str:
    return str(demo_id("org:" + code))


def call(method: str, url: str, headers: dict[str, str], **kwargs: object) -> httpx.Response:
    return httpx.request(method, url, headers=headers, timeout=60, **kwargs)  # type: ignore[arg-type]


def _strings(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def _gather_leo(served: str, auth_headers) -> tuple[str, list[dict]]:  # type: ignore[no-untyped-def,type-arg]
    """Link Leo, ask his mother for permission through a consent request, she approves, and the SEN
    team gathers from all three systems. Returns the case id and the items released."""
    sen, emma = auth_headers("sen.caseworker"), auth_headers("emma.walsh")
    # A paper report scanned into the broker's own EP store: stored sealed, released like the rest.
    uploaded = call("POST", f"{served}/api/v1/ep-documents", auth_headers("ep.psychologist"), data={
        "person_id": LEO, "document_type": "ep_report", "title": "EP report from the paper file",
        "author": "Ms Joan Hale", "document_date": "2019-03-01"},
        files={"file": ("scan.pdf", scanned_report(41), "application/pdf")})
    assert uploaded.status_code == 201, uploaded.text
    assert call("POST", f"{served}/api/v1/identity-links/discover", sen, json={"person_id": LEO}).status_code == 200
    asked = call("POST", f"{served}/api/v1/consent-requests", sen, json={
        "subject_id": LEO, "basis": "confidentiality", "purpose": "EHC_NEEDS_ASSESSMENT", "categories": ON_PERMISSION,
        "holder_organisation_ids": [org("NCC-EPS"), org("NCC-CSC")],
        "recipient_organisation_ids": [org("NCC-SEN")], "why": "To assess Leo's needs without asking you again.",
        "valid_for_days": 365, "if_declined": "The assessment goes ahead on less evidence.",
        "expires_at": (datetime.now(UTC) + timedelta(days=28)).isoformat()})
    assert asked.status_code == 201, asked.text
    answered = call("POST", f"{served}/api/v1/consent-requests/{asked.json()['id']}/answer", emma,
                    json={"answer": "approve_all"})
    assert answered.status_code == 200, answered.text
    case = call("POST", f"{served}/api/v1/assessments", sen, json={
        "subject_id": LEO, "purpose": "EHC_NEEDS_ASSESSMENT", "received_on": str(date.today() - timedelta(days=3))})
    assert case.status_code == 201, case.text
    gathered = call("POST", f"{served}/api/v1/assessments/{case.json()['id']}/gather", sen,
                    json={"categories": CATEGORIES})
    assert gathered.status_code == 200, gathered.text
    items = [i for s in gathered.json()["sources"] for i in s["released"]]
    assert {i["category"] for i in items} >= {"EP_ADVICE", "SC_ASSESSMENT"}, gathered.text
    assert any(i["title"] == "EP report from the paper file" for i in items), gathered.text
    return case.json()["id"], items


PAPER_STORE_INDEX = {"EP report from the paper file", "Ms Joan Hale"}
SHA256_HEX = re.compile(r"[0-9a-f]{64}")


def _known_contents(items: list[dict]) -> set[str]:  # type: ignore[type-arg]
    """Distinctive text of the released items: titles, longer content strings, document bytes.

    Not counted: content hashes (recorded in the clear by design, in provenance and in the audit
    log's disclosures) and the paper store's index (a scan's title and author, typed at upload,
    stay in the clear beside its dates; docs/encryption.md)."""
    known = {i["title"] for i in items} - PAPER_STORE_INDEX
    for item in items:
        known |= {s for s in _strings(item["content"]) if len(s) >= 24 and not SHA256_HEX.fullmatch(s)}
        known -= PAPER_STORE_INDEX
        if item["document_base64"]:
            document = base64.b64decode(item["document_base64"])
            known.add(document[len(document) // 2:len(document) // 2 + 48].decode("latin-1"))
            known.add(item["document_base64"][:64])
    return known


def _raw_database(settings: Settings) -> bytes:
    if settings.database_url.startswith("sqlite"):
        path = Path(settings.database_url.split("///", 1)[1])
        return b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal")) if p.exists())
    url = settings.database_url.replace("postgresql+psycopg://", "postgresql://")
    dumped = subprocess.run(["pg_dump", "--data-only", "--no-owner", url], capture_output=True, check=True,
                            env={**os.environ, "PGCONNECT_TIMEOUT": "10"})
    return dumped.stdout


def _absent(text: str, raw: bytes) -> bool:
    encoded = text.encode("utf-8")
    # as stored text, as bytea hex in a dump, and as JSON-escaped text
    return encoded not in raw and encoded.hex().encode() not in raw and encoded.hex().upper().encode() not in raw


def test_the_database_holds_no_plaintext_of_any_gathered_item(
        served: str, auth_headers, database: Database, settings: Settings) -> None:  # type: ignore[no-untyped-def]
    before = _raw_database(settings)
    case_id, items = _gather_leo(served, auth_headers)
    known = {k for k in _known_contents(items) if _absent(k, before)}
    assert len(known) >= len(items), "the released items should carry text of their own"
    raw = _raw_database(settings)
    assert not _absent("Walsh", raw), "the raw read should see what is stored in plaintext (people's names)"
    found = sorted(k for k in known if not _absent(k, raw))
    assert found == [], f"{len(found)} item text(s) stored in plaintext"
    print(f"checked {len(known)} distinctive texts of {len(items)} items in {len(raw):,} raw bytes")
    with database.sessions() as session:
        assert session.query(GatheredItem).count() == len(items)

    # A ciphertext swapped between two rows fails to open: the bundle is refused, not mixed up.
    sen = auth_headers("sen.caseworker")
    assert call("GET", f"{served}/api/v1/assessments/{case_id}/bundle", sen).status_code == 200
    with database.unit_of_work() as session:
        first, second = session.execute(select(GatheredItem.id, GatheredItem.content).limit(2)).all()
        session.execute(update(GatheredItem).where(GatheredItem.id == first.id).values(content=second.content))
        session.execute(update(GatheredItem).where(GatheredItem.id == second.id).values(content=first.content))
    broken = call("GET", f"{served}/api/v1/assessments/{case_id}/bundle", sen)
    assert broken.status_code == 500 and broken.json()["title"] == "This record cannot be read"
    assert not any(k in broken.text for k in known)


@pytest.fixture
def captured_logs() -> Iterator[io.StringIO]:
    """Every log line written while the test runs, formatted as the service writes them (JSON)."""
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(JsonFormatter())
    handler.setLevel(logging.DEBUG)
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield out
    root.removeHandler(handler)
    root.setLevel(level)


def test_nothing_secret_or_personal_reaches_the_logs_or_the_audit_log(
        served: str, app: FastAPI, auth_headers, web_session, database: Database, settings: Settings,  # type: ignore[no-untyped-def]
        captured_logs: io.StringIO) -> None:
    case_id, items = _gather_leo(served, auth_headers)
    sen = auth_headers("sen.caseworker")
    assert call("GET", f"{served}/api/v1/assessments/{case_id}/bundle", sen).status_code == 200
    # A refused call and a forged token are logged and audited too.
    assert call("GET", f"{served}/api/v1/assessments/{case_id}/bundle", auth_headers("emma.walsh")).status_code == 403
    forged = {"Authorization": "Bearer " + "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.forged-signature-abcdef"}
    assert call("GET", f"{served}/api/v1/assessments/{case_id}/bundle", forged).status_code == 401

    # Break-glass: opened by the safeguarding lead, reviewed by IG.
    lead, ig = auth_headers("safeguarding.lead"), auth_headers("ig.auditor")
    opened = call("POST", f"{served}/api/v1/break-glass", lead, json={
        "subject_id": LEO, "reason_code": "risk_of_significant_harm",
        "reason_text": "Strategy discussion this morning after an incident reported overnight."})
    assert opened.status_code == 201, opened.text
    reviewed = call("POST", f"{served}/api/v1/break-glass/reviews/{opened.json()['id']}", ig,
                    json={"outcome": "appropriate", "family_may_be_told": True})
    assert reviewed.status_code == 200, reviewed.text

    # The family withdraws on the web page (session cookie and form token): the items go.
    cookies, token = web_session("emma.walsh")
    consents = call("GET", f"{served}/api/v1/consents", auth_headers("emma.walsh"), params={"subject_id": LEO}).json()
    active = [c["id"] for c in consents if c["status"] == "active"]
    assert active
    with TestClient(app, base_url="https://testserver") as browser:
        browser.cookies.update(cookies)
        for consent_id in active:
            done = browser.post(f"/family/{LEO}/permissions/{consent_id}/withdraw", data={"form_token": token},
                                follow_redirects=False)
            assert done.status_code == 303, done.text
    with database.sessions() as session:
        # What rested on the permissions is gone; the school's records, taken on the council's
        # statutory duty, stay (the family cannot withdraw them).
        kept = session.query(GatheredItem).all()
        assert all(i.consent_id is None and i.category.startswith("EDU_") for i in kept)
        audit_text = "\n".join(
            " ".join(str(v) for v in (e.event_type, e.actor_username, e.purpose, e.case_reference, e.reason, e.details))
            for e in session.scalars(select(AuditEntry)))
        assert "records.erased" in audit_text and "break_glass.opened" in audit_text

    keyring = load_keyring(settings)
    secrets = {
        "simulator client secret": EMBEDDED_SIMULATOR_SECRET,
        "development client secret": dev_client_secret(settings, "education.system"),
        "secret key": settings.secret_key.get_secret_value(),
        "caseworker token": sen["Authorization"].split()[1],
        "forged token": forged["Authorization"].split()[1],
        "session cookie": next(iter(cookies.values())),
        "form token": token,
    }
    for kek_id, kek in keyring.keys.items():
        secrets[f"KEK {kek_id} (base64)"] = base64.b64encode(kek).decode()
        secrets[f"KEK {kek_id} (hex)"] = kek.hex()
    for n, text in enumerate(sorted(_known_contents(items))):
        secrets[f"record content {n}"] = text
    logs = captured_logs.getvalue()
    assert "broker.request" in logs and "/gather" in logs  # the capture did see the service's lines
    leaked = {name: where for name, value in secrets.items()
              for where, text in (("logs", logs), ("audit log", audit_text)) if value in text}
    assert leaked == {}
