"""One request, end to end, against the simulators over real HTTP: open a case, gather with
partial permission, ask for exactly the missing part, gather again, reuse, withdraw."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select

from broker.gathering.models import GatheredItem
from tests.broker.gathering.leos_case import LEO, by_source, call, grant, org


def test_gather_once_end_to_end(served: str, auth_headers, database) -> None:  # type: ignore[no-untyped-def]
    sen, emma, sc = auth_headers("sen.caseworker"), auth_headers("emma.walsh"), auth_headers("sc.caseworker")
    assert call("POST", f"{served}/api/v1/identity-links/discover", sen, json={"person_id": LEO}).status_code == 200
    ep_consent = grant(served, emma, "EHC_NEEDS_ASSESSMENT", ["EP_ADVICE"], "NCC-EPS", "NCC-SEN")
    case = call("POST", f"{served}/api/v1/assessments", sen, json={
        "subject_id": LEO, "purpose": "EHC_NEEDS_ASSESSMENT", "received_on": str(date.today() - timedelta(days=3))})
    assert case.status_code == 201, case.text
    case_id = case.json()["id"]

    # Partial permission: the psychologist's advice is released, social care's assessment is not.
    first = call("POST", f"{served}/api/v1/assessments/{case_id}/gather", sen,
                 json={"categories": ["EP_ADVICE", "SC_ASSESSMENT"]})
    assert first.status_code == 200, first.text
    sources = by_source(first.json())
    ep = sources["educational_psychology"]
    assert ep["status"] == "ok" and ep["released"] and ep["withheld"] == []
    assert all(i["category"] == "EP_ADVICE" and i["newly_gathered"] for i in ep["released"])
    assert all(i["provenance"]["gathered_under_consent_id"] == ep_consent for i in ep["released"])
    social = sources["social_care"]
    assert social["released"] == [] and social["missing_permission"] == ["SC_ASSESSMENT"]
    assert [w["category"] for w in social["withheld"]] == ["SC_ASSESSMENT"]
    missing = first.json()["missing_permission"]
    assert missing == {"purpose": "EHC_NEEDS_ASSESSMENT", "categories": ["SC_ASSESSMENT"],
                       "holder_organisation_ids": [org("NCC-CSC")]}
    assert first.json()["complete"] is False

    # One consent request covering exactly the missing part; the family approves it.
    asked = call("POST", f"{served}/api/v1/consent-requests", sen, json={
        "subject_id": LEO, "basis": "confidentiality", "purpose": missing["purpose"],
        "categories": missing["categories"], "holder_organisation_ids": missing["holder_organisation_ids"],
        "recipient_organisation_ids": [org("NCC-SEN")], "why": "Social care's assessment describes Leo's needs at home.",
        "valid_for_days": 365, "if_declined": "We will ask social care for new advice.",
        "expires_at": (datetime.now(UTC) + timedelta(days=28)).isoformat()})
    assert asked.status_code == 201, asked.text
    approved = call("POST", f"{served}/api/v1/consent-requests/{asked.json()['id']}/answer", emma,
                    json={"answer": "approve_all"})
    assert approved.status_code == 200, approved.text

    # Gathering again fills only the gap.
    with database.sessions() as session:
        stored_before = session.scalar(select(func.count()).select_from(GatheredItem))
    second = call("POST", f"{served}/api/v1/assessments/{case_id}/gather", sen,
                  json={"categories": ["EP_ADVICE", "SC_ASSESSMENT"]})
    assert second.status_code == 200, second.text
    sources = by_source(second.json())
    assert second.json()["missing_permission"] is None
    assert not any(i["newly_gathered"] for i in sources["educational_psychology"]["released"])
    sc_items = sources["social_care"]["released"]
    assert sc_items and all(i["newly_gathered"] and i["category"] == "SC_ASSESSMENT" for i in sc_items)
    with database.sessions() as session:
        stored_after = session.scalar(select(func.count()).select_from(GatheredItem))
        assert stored_after == stored_before + len(sc_items)
        stored = session.scalars(select(GatheredItem)).all()
        # Nothing of the records is stored in plaintext.
        for row in stored:
            assert b"Leo" not in row.content and b"Leo" not in row.title

    bundle = call("GET", f"{served}/api/v1/assessments/{case_id}/bundle", sen)
    assert bundle.status_code == 200
    assert len(bundle.json()["items"]) == stored_after and bundle.json()["not_served"] == []

    # Another team the family's permission covers is served from the bundle, not the source.
    grant(served, emma, "SHORT_BREAKS", ["SC_ASSESSMENT"], "NCC-CSC", "NCC-CSC")
    reuse = call("POST", f"{served}/api/v1/record-requests", sc,
                 json={"subject_id": LEO, "purpose": "SHORT_BREAKS", "categories": ["SC_ASSESSMENT"]})
    assert reuse.status_code == 200, reuse.text
    social = by_source(reuse.json())["social_care"]
    assert social["served_from_store"] is True
    assert {i["id"] for i in social["released"]} == {i["id"] for i in sc_items}
    assert all(i["provenance"]["age_seconds"] >= 0 and not i["newly_gathered"] for i in social["released"])

    # The family withdraws the EHC permissions: nothing more is served under them.
    consents = call("GET", f"{served}/api/v1/consents", emma, params={"subject_id": LEO}).json()
    for consent in consents:
        scope = consent["versions"][-1]["scope"]
        if consent["status"] == "active" and scope[0]["purpose"] == "EHC_NEEDS_ASSESSMENT":
            assert call("POST", f"{served}/api/v1/consents/{consent['id']}/withdraw", emma, json={}).status_code == 200
    after = call("GET", f"{served}/api/v1/assessments/{case_id}/bundle", sen).json()
    assert after["items"] == []
    # The EP advice was held only under the withdrawn permission: erased at once. Social care's
    # assessment is still covered by social care's own permission, so it is kept, but not served here.
    # Both are listed as not served, the erased advice included, so the caseworker knows why it is gone.
    assert {w["category"] for w in after["not_served"]} == {"EP_ADVICE", "SC_ASSESSMENT"}
    with database.sessions() as session:
        assert {row.category for row in session.scalars(select(GatheredItem))} == {"SC_ASSESSMENT"}
    # The caseworker sees why.
    assert all("withdrawn" in w["reason"] for w in after["not_served"])
    erased = next(w["reason"] for w in after["not_served"] if w["category"] == "EP_ADVICE")
    assert f"was withdrawn on {datetime.now(UTC):%-d %B %Y}" in erased
    again = call("POST", f"{served}/api/v1/assessments/{case_id}/gather", sen,
                 json={"categories": ["EP_ADVICE", "SC_ASSESSMENT"]}).json()
    assert all(s["released"] == [] for s in again["sources"])
    # Social care's own permission still covers its reuse.
    still = call("POST", f"{served}/api/v1/record-requests", sc,
                 json={"subject_id": LEO, "purpose": "SHORT_BREAKS", "categories": ["SC_ASSESSMENT"]}).json()
    assert by_source(still)["social_care"]["released"]
