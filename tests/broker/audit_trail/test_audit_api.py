"""The audit log over HTTP: IG search, proofs, the public checkpoint and key, families' access logs."""

from __future__ import annotations

import base64
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from audit import merkle, notes, service
from audit.events import AuditEvent
from broker.audit_trail import catalogue
from broker.auth.principal import Principal, Role
from broker.dev.demo import USERS, demo_id

AMELIA = str(demo_id("person:amelia"))
OLIVER = str(demo_id("person:oliver"))
SARAH_USER = str(demo_id("user:sarah.clarke"))
DAVID_USER = str(demo_id("user:david.clarke"))
SEN = str(demo_id("org:NCC-SEN"))
T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def _b64(value: str) -> bytes:
    return base64.b64decode(value)


def _as(username: str) -> Principal:
    user = next(u for u in USERS if u.username == username)
    return Principal(user_id=demo_id("user:" + username), username=username, display_name=user.display_name,
                     role=Role(user.role), organisation_id=demo_id("org:" + user.organisation) if user.organisation else None,
                     person_id=demo_id("person:" + user.person) if user.person else None)


def _disclosed(subject: str, source: str, categories: list[str], case_reference: str | None = None) -> AuditEvent:
    return catalogue.records_disclosed(
        _as("sen.caseworker"), subject_id=uuid.UUID(subject), purpose="EHC_NEEDS_ASSESSMENT",
        case_reference=case_reference, source_system=source, holder=demo_id("org:NCC-EPS"),
        recipient=uuid.UUID(SEN), assessment_id=None, categories=categories,
        items=[{"id": str(uuid.uuid4()), "content_hash": "0" * 64, "new": True, "basis": "permission"}])


def _consent(who: str, build) -> AuditEvent:  # type: ignore[no-untyped-def]
    return build(_as(who), subject_id=uuid.UUID(AMELIA), purposes="EHC_NEEDS_ASSESSMENT", reason=None, consent={
        "consent_id": "c-1", "version": 2, "categories": ["EP_ADVICE"], "recipients": [SEN],
        "holders": [str(demo_id("org:NCC-EPS"))]})


def seed_log(session: Session) -> int:
    """Six entries at T0 onwards (after the demo seed's own), built by the production builders
    exactly as the broker writes them, only dated T0; returns the first one's number."""
    events = [
        _disclosed(AMELIA, "educational_psychology", ["EP_ADVICE"], "EHC-1"),
        _consent("sarah.clarke", catalogue.consent_granted),
        _consent("david.clarke", catalogue.consent_withdrawn),
        _disclosed(AMELIA, "education", ["EDU_ATTENDANCE"]),
        catalogue.break_glass_opened(
            _as("safeguarding.lead"), subject_id=uuid.UUID(AMELIA), reason="S47: strategy discussion",
            break_glass_id=uuid.uuid4(), expires_at="2026-11-02T13:04:00+00:00", review_due_on="2026-11-09",
            excluded_categories=[]),
        _disclosed(OLIVER, "education", ["EDU_ATTENDANCE"]),
    ]
    first = service.append_many(session, events[:1], at=T0).start
    for n, event in enumerate(events[1:], 1):
        service.append(session, event, at=T0 + timedelta(minutes=n))
    session.commit()
    return first


@pytest.mark.usefixtures("demo")
def test_only_information_governance_may_search(client: TestClient, auth_headers) -> None:  # type: ignore[no-untyped-def]
    assert client.get("/api/v1/audit/events").status_code == 401
    assert client.get("/api/v1/audit/events", headers=auth_headers("sen.caseworker")).status_code == 403
    assert client.get("/api/v1/audit/proofs/inclusion?index=0&tree_size=1",
                      headers=auth_headers("sarah.clarke")).status_code == 403


def test_search_filters_pages_and_is_itself_audited(client: TestClient, session: Session, auth_headers) -> None:  # type: ignore[no-untyped-def]
    ig = auth_headers("ig.auditor")
    b = seed_log(session)
    window = "since=2026-11-02T00:00:00Z&until=2026-11-03T00:00:00Z"
    first = client.get(f"/api/v1/audit/events?subject={AMELIA}&{window}&limit=2", headers=ig)
    assert first.status_code == 200, first.text
    page = first.json()
    assert [e["seq"] for e in page["items"]] == [b, b + 1] and page["next_cursor"]
    rest = client.get(f"/api/v1/audit/events?subject={AMELIA}&{window}&cursor={page['next_cursor']}", headers=ig).json()
    assert [e["seq"] for e in rest["items"]] == [b + 2, b + 3, b + 4] and rest["next_cursor"] is None
    # the first search was about Amelia, so it is itself among her entries
    everything = client.get(f"/api/v1/audit/events?subject={AMELIA}&limit=100", headers=ig).json()["items"]
    assert everything[-2]["event_type"] == "audit.searched" and everything[-2]["seq"] == b + 6
    typed = client.get(f"/api/v1/audit/events?event_type=consent.granted&event_type=consent.withdrawn&{window}",
                       headers=ig).json()
    assert [e["seq"] for e in typed["items"]] == [b + 1, b + 2]
    by_org = client.get(f"/api/v1/audit/events?organisation={SEN}&since=2026-11-02T09:02:00Z&until=2026-11-03T00:00:00Z",
                        headers=ig).json()
    assert [e["seq"] for e in by_org["items"]] == [b + 3, b + 5]
    one = client.get(f"/api/v1/audit/events/{b}", headers=ig).json()
    assert one["details"]["categories"] == ["EP_ADVICE"] and one["recorded_at"] == "2026-11-02T09:00:00.000000Z"
    assert client.get("/api/v1/audit/events/999", headers=ig).status_code == 404
    assert client.get("/api/v1/audit/events?cursor=!!", headers=ig).status_code == 422
    searches = client.get("/api/v1/audit/events?event_type=audit.searched", headers=ig).json()["items"]
    assert len(searches) == 6 and searches[0]["actor_username"] == "ig.auditor"  # failed look-ups roll back
    assert searches[0]["details"]["subject_id"] == AMELIA


def test_public_checkpoint_and_key_verify_proofs(client: TestClient, session: Session, auth_headers) -> None:  # type: ignore[no-untyped-def]
    ig = auth_headers("ig.auditor")
    size = seed_log(session) + 6
    key = client.get("/api/v1/audit/verifier-key")
    assert key.status_code == 200 and key.headers["content-type"].startswith("text/plain")
    verifier = notes.parse_verifier_key(key.text)
    note = client.get("/api/v1/audit/checkpoint")
    assert note.status_code == 200 and note.headers["content-type"].startswith("text/plain")
    checkpoint = notes.parse_checkpoint(notes.open_note(note.text, verifier))
    assert checkpoint.tree_size == size
    for index in range(size):
        proof = client.get(f"/api/v1/audit/proofs/inclusion?index={index}&tree_size={size}", headers=ig).json()
        merkle.verify_inclusion(_b64(proof["leaf_hash"]), index, size, [_b64(p) for p in proof["proof"]], checkpoint.root)
    consistency = client.get(f"/api/v1/audit/proofs/consistency?first=3&second={size}", headers=ig).json()
    merkle.verify_consistency(3, size, [_b64(p) for p in consistency["proof"]], _b64(consistency["first_root"]),
                              checkpoint.root)
    assert client.get(f"/api/v1/audit/proofs/inclusion?index={size}&tree_size={size}", headers=ig).status_code == 422
    assert client.get("/api/v1/audit/proofs/consistency?first=4&second=99", headers=ig).status_code == 422


def _on_t0_day(items: list[dict]) -> list[dict]:  # type: ignore[type-arg]
    """The entries ``seed_log`` wrote, leaving out the demo's own permissions (recorded today)."""
    return [i for i in items if i["when"].startswith(T0.date().isoformat())]


def test_a_parent_sees_their_childs_access_log_without_the_other_parents_business(
    client: TestClient, session: Session, auth_headers  # type: ignore[no-untyped-def]
) -> None:
    ig = auth_headers("ig.auditor")
    b = seed_log(session)
    sarah = client.get(f"/api/v1/subjects/{AMELIA}/access-log", headers=auth_headers("sarah.clarke"))
    assert sarah.status_code == 200, sarah.text
    items = _on_t0_day(sarah.json()["items"])
    assert [i["who"] for i in items] == ["a caseworker at Northshire SEN team", "You", "a caseworker at Northshire SEN team"]
    oldest = items[-1]
    assert oldest["what"] == "Received educational psychology reports and advice from Northshire educational psychology service"
    assert oldest["why"] == "an education, health and care needs assessment"
    assert oldest["permission"] == "your family's permission" and oldest["shared"] is True
    assert items[1]["what"].startswith("Gave permission to share educational psychology reports and advice with Northshire SEN team")
    assert "sen.caseworker" not in sarah.text and "Sam" not in sarah.text

    david = _on_t0_day(client.get(f"/api/v1/subjects/{AMELIA}/access-log", headers=auth_headers("david.clarke")).json()["items"])
    assert [i["who"] for i in david] == ["a caseworker at Northshire SEN team", "You", "a caseworker at Northshire SEN team"]
    assert david[1]["what"].startswith("Withdrew the permission to share educational psychology reports and advice")

    # safeguarding access appears once IG releases it
    assert client.post(f"/api/v1/audit/events/{b + 4}/release", headers=ig).status_code == 204
    released = _on_t0_day(client.get(f"/api/v1/subjects/{AMELIA}/access-log", headers=auth_headers("sarah.clarke")).json()["items"])
    assert released[0]["why"] == "keeping your child safe (safeguarding)"
    assert released[0]["who"] == "a safeguarding lead at Northshire children's social care"
    assert "information governance has let you see this" in released[0]["permission"]


@pytest.mark.usefixtures("demo")
def test_no_access_log_for_someone_who_may_not_decide(client: TestClient, auth_headers) -> None:  # type: ignore[no-untyped-def]
    assert client.get(f"/api/v1/subjects/{AMELIA}/access-log", headers=auth_headers("priya.bennett")).status_code == 404
    assert client.get(f"/api/v1/subjects/{OLIVER}/access-log", headers=auth_headers("priya.bennett")).status_code == 200
    assert client.get(f"/api/v1/subjects/{AMELIA}/access-log", headers=auth_headers("sen.caseworker")).status_code == 403


def test_the_demo_seed_is_audited_and_kept_out_of_family_access_logs(
    client: TestClient, session: Session, auth_headers  # type: ignore[no-untyped-def]
) -> None:
    ig = auth_headers("ig.auditor")  # seeds the demo data
    entries = client.get("/api/v1/audit/events?event_type=admin.user_added&limit=100", headers=ig).json()["items"]
    assert len(entries) == len(USERS) and entries[0]["actor_username"] == "demo-seed"
    relationships = client.get(f"/api/v1/audit/events?subject={AMELIA}&event_type=admin.relationship_added",
                               headers=ig).json()["items"]
    assert len(relationships) == 2
    log = client.get(f"/api/v1/subjects/{AMELIA}/access-log", headers=auth_headers("sarah.clarke")).json()
    # the demo's permissions are in it, given through the audited services; its set-up entries are not
    assert {item["what"].split(" to share")[0].split(" a request")[0] for item in log["items"]} == {
        "Answered", "Asked for your permission", "Gave permission"}
