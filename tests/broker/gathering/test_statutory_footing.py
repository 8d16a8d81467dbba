"""The statutory footing (Children and Families Act 2014 s.36 and s.44; UK GDPR Art 6(1)(e)): a
school's tier 1 education records reach the SEN team for the statutory EHC steps on the council's
public task, with no family permission; confidential advice (tier 2) still needs permission, other
purposes and recipients get no footing, and tier 3 never leaves."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from audit.models import AuditEntry
from broker.permissions.purposes import Purpose, statutory_footing
from tests.broker.gathering.leos_case import LEO, by_source, call, grant, open_case


@pytest.mark.parametrize("purpose", ["EHC_REQUEST_DECISION", "EHC_NEEDS_ASSESSMENT", "EHC_ANNUAL_REVIEW"])
def test_tier_1_education_records_rest_on_public_task_for_the_sen_team(purpose: str) -> None:
    for category in ("EDU_ATTENDANCE", "EDU_ATTAINMENT", "EDU_SEN_SUPPORT", "EDU_ADVICE"):
        reason = statutory_footing(purpose, "sen_team", category)
        assert reason is not None and "public task" in reason and "Art 6(1)(e)" in reason


@pytest.mark.parametrize(("purpose", "kind", "category"), [
    ("EHC_NEEDS_ASSESSMENT", "sen_team", "EP_ADVICE"),        # confidential advice: permission
    ("EHC_NEEDS_ASSESSMENT", "sen_team", "HEALTH_ADVICE"),
    ("EHC_NEEDS_ASSESSMENT", "sen_team", "SC_ASSESSMENT"),
    ("EHC_NEEDS_ASSESSMENT", "sen_team", "FAMILY_VIEWS"),     # the family's own: theirs to give
    ("EHC_NEEDS_ASSESSMENT", "sen_team", "SAFEGUARDING"),     # tier 3: never
    ("EHC_NEEDS_ASSESSMENT", "ep_service", "EDU_ATTENDANCE"),  # only the council's SEN team
    ("SHORT_BREAKS", "social_care", "EDU_ATTENDANCE"),         # reuse for other purposes: permission
    ("EHC_PLAN_DISCLOSURE", "sen_team", "EDU_ADVICE"),
    ("FAMILY_OPTIONAL", "council", "EDU_ATTENDANCE"),
    ("NOT_A_PURPOSE", "sen_team", "EDU_ATTENDANCE"),
])
def test_everything_else_needs_the_familys_permission(purpose: str, kind: str, category: str) -> None:
    assert statutory_footing(purpose, kind, category) is None


def test_every_statutory_purpose_is_a_known_purpose() -> None:
    assert {p.value for p in Purpose} >= {"EHC_REQUEST_DECISION", "EHC_NEEDS_ASSESSMENT", "EHC_ANNUAL_REVIEW"}


def test_a_gather_without_any_permission_releases_education_on_the_statutory_footing_and_audits_it(
    served: str, auth_headers, database,
) -> None:  # type: ignore[no-untyped-def]
    sen, emma, sc = auth_headers("sen.caseworker"), auth_headers("emma.walsh"), auth_headers("sc.caseworker")
    case_id = open_case(served, sen)
    answer = call("POST", f"{served}/api/v1/assessments/{case_id}/gather", sen,
                  json={"categories": ["EDU_ATTENDANCE", "EP_ADVICE"]})
    assert answer.status_code == 200, answer.text
    sources = by_source(answer.json())
    education = sources["education"]
    assert education["status"] == "ok" and education["released"] and education["withheld"] == []
    for item in education["released"]:
        assert item["category"] == "EDU_ATTENDANCE"
        assert item["provenance"]["basis"] == "public_task"
        assert item["provenance"]["gathered_under_consent_id"] is None
    # Tier 2 still needs the family: withheld, and it is the only thing to ask for.
    assert by_source(answer.json())["educational_psychology"]["released"] == []
    assert answer.json()["missing_permission"]["categories"] == ["EP_ADVICE"]

    with database.sessions() as session:
        entries = session.scalars(select(AuditEntry).where(
            AuditEntry.event_type.in_(["decision.made", "records.disclosed"])).order_by(AuditEntry.seq)).all()
    decisions = [e.details_data for e in entries if e.event_type == "decision.made"]
    assert any(d["statutory"] == ["EDU_ATTENDANCE"] and d["consents"] == [] for d in decisions)
    assert all("EP_ADVICE" not in d["permitted"] for d in decisions)
    disclosed = [e.details_data for e in entries if e.event_type == "records.disclosed"]
    assert [i["basis"] for d in disclosed for i in d["items"]] == ["public_task"] * len(education["released"])

    # The bundle keeps serving it to the case (public task does not depend on a permission) ...
    bundle = call("GET", f"{served}/api/v1/assessments/{case_id}/bundle", sen).json()
    assert {i["category"] for i in bundle["items"]} == {"EDU_ATTENDANCE"}
    # ... but another team, for another purpose, needs the family's permission to reuse it.
    other = call("POST", f"{served}/api/v1/record-requests", sc,
                 json={"subject_id": LEO, "purpose": "SHORT_BREAKS", "categories": ["EDU_ATTENDANCE"]}).json()
    assert by_source(other)["education"]["released"] == []
    assert other["missing_permission"]["categories"] == ["EDU_ATTENDANCE"]
    grant(served, emma, "SHORT_BREAKS", ["EDU_ATTENDANCE"], "SCH-RIVERSIDE", "NCC-CSC")
    reused = call("POST", f"{served}/api/v1/record-requests", sc,
                  json={"subject_id": LEO, "purpose": "SHORT_BREAKS", "categories": ["EDU_ATTENDANCE"]}).json()
    served_again = by_source(reused)["education"]
    assert served_again["served_from_store"] is True
    assert {i["id"] for i in served_again["released"]} == {i["id"] for i in education["released"]}
