"""The family's history, "Who has seen <child>'s information", driven as the family reads it.

What a caseworker really does (gather, decide) is what the parent reads: the categories in words,
who received them (a role and an organisation, never a username), on which basis, whether it was
given.  The history runs newest first in pages joined by signed cursors, with no cap: after more
than ten thousand entries the newest is on the first page and the cursor reaches the oldest.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from broker.accounts.models import User
from broker.audit_trail import auditing, catalogue
from broker.auth.principal import Principal, Role
from broker.dev.demo import demo_id
from broker.platform.db import Database
from tests.broker.identity.test_identity_discovery import served, settings  # noqa: F401  (the sources answer over HTTP)
from tests.broker.web.form_helpers import form_token

AMELIA = demo_id("person:amelia")
AMELIA_CASE = demo_id("assessment:amelia")
SEN = demo_id("org:NCC-SEN")
EPS = demo_id("org:NCC-EPS")
_LINE = re.compile(r'<li class="govuk-!-margin-bottom-4 app-history-line">(.*?)</li>', re.DOTALL)
_OLDER = re.compile(r'href="\?page=([^"]+)" rel="next"')
_NEWER = re.compile(r'href="\?page=([^"]+)" rel="prev"')

pytestmark = pytest.mark.usefixtures("demo")


def _lines(page: str) -> list[str]:
    """Each line's words after its date."""
    undated = [re.sub(r"^\s*<p[^>]*>.*?</p>", "", line, count=1, flags=re.DOTALL) for line in _LINE.findall(page)]
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", line)).strip() for line in undated]


def _decide(client: TestClient, headers: dict[str, str], categories: list[str]) -> None:
    body = {"subject_id": str(AMELIA), "recipient_organisation_id": str(SEN), "purpose": "EHC_NEEDS_ASSESSMENT",
            "holder_organisation_id": str(EPS), "categories": categories}
    assert client.post("/api/v1/decisions", json=body, headers=headers).status_code == 200


@pytest.mark.usefixtures("served")
def test_a_gather_reads_as_what_was_shared_with_whom(signed_in: Callable[[str], TestClient]) -> None:
    sen = signed_in("sen.caseworker")
    case = f"/assessments/{AMELIA_CASE}"
    assert sen.post(f"{case}/gather", data={"form_token": form_token(sen, case)}).status_code == 303

    page = signed_in("sarah.clarke").get(f"/family/{AMELIA}/access")
    assert page.status_code == 200
    lines = _lines(page.text)
    received = [line for line in lines if line.startswith("Received")]
    assert received, "\n".join(lines)
    assert all("By a caseworker at Northshire SEN team." in line for line in received)
    assert all("Information was shared." in line for line in received)
    assert len(received) == 1, "one request's disclosures fold into one line"
    assert "educational psychology reports and advice" in received[0]
    assert " from Northshire educational psychology service" in received[0]
    # One request's decisions are one line per kind of event, saying what was given.
    decided = [line for line in lines if line.startswith("Asked to see")]
    assert len(decided) == 1 and ("Given" in decided[0] or "Not given" in decided[0])
    for wrong in ("Records disclosed", "sen.caseworker", "Sam Okafor", "EP_ADVICE", "decision.made", "Disclosure"):
        assert wrong not in page.text


def test_a_refused_decision_says_not_given(signed_in: Callable[[str], TestClient], auth_headers) -> None:  # type: ignore[no-untyped-def]
    _decide(signed_in("sen.caseworker"), auth_headers("sen.caseworker"), ["SC_PLAN"])
    newest = _lines(signed_in("sarah.clarke").get(f"/family/{AMELIA}/access").text)[0]
    assert newest.startswith("Asked to see child in need plan summary and care plan education sections held by Northshire educational psychology service")
    assert "Not given." in newest and "By a caseworker at Northshire SEN team." in newest


def test_a_cursor_is_good_only_for_its_reader_and_child(
    signed_in: Callable[[str], TestClient], database: Database,
) -> None:
    _write_disclosures(database, 120)
    sarah = signed_in("sarah.clarke")
    older = _OLDER.search(sarah.get(f"/family/{AMELIA}/access").text)
    assert older
    cursor = older.group(1)
    assert sarah.get(f"/family/{AMELIA}/access", params={"page": cursor}).status_code == 200
    assert signed_in("david.clarke").get(f"/family/{AMELIA}/access", params={"page": cursor}).status_code == 404
    tampered = cursor[:-3] + ("AAA" if not cursor.endswith("AAA") else "BBB")
    assert sarah.get(f"/family/{AMELIA}/access", params={"page": tampered}).status_code == 404
    assert sarah.get(f"/family/{AMELIA}/access", params={"page": "not-a-cursor"}).status_code == 404
    oliver = demo_id("person:oliver")
    assert signed_in("priya.bennett").get(f"/family/{oliver}/access", params={"page": cursor}).status_code == 404


CATEGORIES = ("EP_ADVICE", "EDU_ATTENDANCE", "HEALTH_ADVICE")


def _write_disclosures(database: Database, count: int) -> None:
    """``count`` disclosures to the SEN team, as the gather writes them (the production builder,
    the production write path), the categories taking turns so no two neighbours fold."""
    with database.unit_of_work() as session:
        user = session.get(User, demo_id("user:sen.caseworker"))
        assert user is not None
        caseworker = Principal(user_id=user.id, username=user.username, display_name=user.display_name,
                               role=Role.caseworker, organisation_id=user.organisation_id)
        for start in range(0, count, 2_000):
            auditing.record_many(session, [catalogue.records_disclosed(
                caseworker, subject_id=AMELIA, purpose="EHC_NEEDS_ASSESSMENT", case_reference=None,
                source_system="educational_psychology", holder=EPS, recipient=SEN, assessment_id=AMELIA_CASE,
                categories=[CATEGORIES[n % len(CATEGORIES)]],
                items=[{"id": str(uuid.uuid4()), "content_hash": f"{n:064d}", "new": True, "basis": "permission"}],
            ) for n in range(start, min(count, start + 2_000))])


def test_after_ten_thousand_entries_the_newest_is_first_and_the_cursor_reaches_the_oldest(
    signed_in: Callable[[str], TestClient], client: TestClient, auth_headers, database: Database,  # type: ignore[no-untyped-def]
) -> None:
    sarah = auth_headers("sarah.clarke")
    first_api = client.get(f"/api/v1/subjects/{AMELIA}/access-log", headers=sarah, params={"limit": 200}).json()
    before = first_api["items"]
    assert first_api["next"] is None and before, "the demo's own entries fit on one page"
    oldest = before[-1]

    _write_disclosures(database, 10_200)
    _decide(client, auth_headers("sen.caseworker"), ["SC_PLAN"])  # today's newest access, a real one

    page = signed_in("sarah.clarke").get(f"/family/{AMELIA}/access")
    assert page.status_code == 200
    lines = _lines(page.text)
    assert lines[0].startswith("Asked to see child in need plan summary") and "Not given." in lines[0]
    assert len(lines) == 50 and _NEWER.search(page.text) is None
    # The page's older link, and back again with its newer link, give the same first page.
    older = _OLDER.search(page.text)
    assert older
    second = signed_in("sarah.clarke").get(f"/family/{AMELIA}/access", params={"page": older.group(1)}).text
    assert _lines(second)[0].startswith("Received") and _lines(second) != lines
    back = _NEWER.search(second)
    assert back
    assert _lines(signed_in("sarah.clarke").get(f"/family/{AMELIA}/access", params={"page": back.group(1)}).text) == lines

    # The API, newest first, to the oldest entry through ``next``: every disclosure once, nothing skipped.
    seen: list[dict] = []  # type: ignore[type-arg]
    cursor: str | None = None
    pages = 0
    while True:
        answer = client.get(f"/api/v1/subjects/{AMELIA}/access-log", headers=sarah,
                            params={"limit": 200, **({"cursor": cursor} if cursor else {})})
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert (body["previous"] is None) == (cursor is None)
        seen += body["items"]
        pages += 1
        cursor = body["next"]
        if cursor is None:
            break
    assert seen[0]["what"].startswith("Asked to see child in need plan summary") and seen[0]["outcome"] == "not given"
    assert seen[-1] == oldest
    received = [line for line in seen if line["what"].startswith("Received")]
    assert sum(line["times"] for line in received) == 10_200 and len(received) == 10_200
    assert [line["when"] for line in seen] == sorted((line["when"] for line in seen), reverse=True)
    assert pages >= 52
