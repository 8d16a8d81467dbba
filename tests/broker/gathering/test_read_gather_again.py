"""A case's gather answered over the API can be read again by its caller, without asking the
sources: `GET /api/v1/assessments/{id}/gathers/{gather_id}`."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select

from audit.models import AuditEntry
from tests.broker.gathering.leos_case import by_source, call, gather, grant, withdraw


def _count(database, event_type: str) -> int:  # type: ignore[no-untyped-def]
    with database.sessions() as session:
        return session.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.event_type == event_type)) or 0


def test_the_caller_reads_a_gather_again_and_nobody_else_can(
    served: str, sen: dict[str, str], emma: dict[str, str], leo_case: str, auth_headers, database,
) -> None:  # type: ignore[no-untyped-def]
    consent = grant(served, emma, "EHC_NEEDS_ASSESSMENT", ["EP_ADVICE"], "NCC-EPS", "NCC-SEN")
    answer = gather(served, sen, leo_case, ["EP_ADVICE", "SC_ASSESSMENT"])
    assert answer.status_code == 200, answer.text
    first = answer.json()
    path = f"{served}/api/v1/assessments/{leo_case}/gathers/{first['gather_id']}"
    again = call("GET", path, sen)
    assert again.status_code == 200, again.text
    read = again.json()
    assert read["gather_id"] == first["gather_id"] and read["missing_permission"] == first["missing_permission"]
    for source, was in by_source(first).items():
        now = by_source(read)[source]
        assert now["status"] == was["status"] and now["withheld"] == was["withheld"]
        assert [i["id"] for i in now["released"]] == [i["id"] for i in was["released"]]
    assert by_source(read)["educational_psychology"]["released"], "the EP advice was released and is served again"
    assert _count(database, "gather.completed") == 1, "reading it again did not gather again"

    # Another caseworker of the same team, an unknown gather, another case: not found.
    colleague = call("GET", path, auth_headers("sen.caseworker2"))
    assert colleague.status_code == 404 and colleague.headers["content-type"] == "application/problem+json"
    assert call("GET", f"{served}/api/v1/assessments/{leo_case}/gathers/{uuid.uuid4()}", sen).status_code == 404
    assert call("GET", f"{served}/api/v1/assessments/{uuid.uuid4()}/gathers/{first['gather_id']}", sen).status_code == 404
    assert call("GET", path, emma).status_code == 403

    # Once the family withdraws, the answer read again no longer serves what the permission covered.
    withdraw(database, consent)
    after = by_source(call("GET", path, sen).json())["educational_psychology"]
    assert after["released"] == [] and "EP_ADVICE" in {w["category"] for w in after["withheld"]}
