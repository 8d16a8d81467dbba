"""Withdrawals raced against every path that serves stored items or decides a release, over real
HTTP: once a family's withdrawal has answered, no answer started after it contains an item that
rested only on the withdrawn permission, and no release is decided at an instant after the
withdrawal under the permission it withdrew.

Each test shares its set-up across its rounds.  A round: the family grants a permission (as the
family, through the API), staff read over and over from two threads while the family withdraws it
(through the API), and every read is kept with when it started and ended and whether it served an
item resting only on that permission.  Social care's records rest on the family's permission
(they are held in confidence); a second, standing permission of another purpose keeps the stored
items from being erased at the withdrawal, so the reads must decide, not just find nothing.

Two counts must be 0: reads started after the withdrawal answered that served such an item, and
answers decided at an instant after the withdrawal's that still served under it (the ``at`` of
each ``decision.made`` the broker audited, or the instant a subject access export states): the
second shows whether a read was ordered with the withdrawal or slipped past it while it committed.
Each test prints its line of the table (run with ``-s`` to see it).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from html import escape
from typing import Any

import httpx
import pytest

from audit import repository as audit_repository
from broker.platform.db import Database
from tests.broker.gathering.leos_case import LEO, by_source, call, grant, org

ROUNDS = 30
READERS = 2
SC = ["SC_ASSESSMENT"]
# Reads go on after the withdrawal has answered until this many have started and ended since.
AFTER_COMMIT_READS = 2


@dataclass
class Read:
    started: float
    ended: float
    status: int
    served: bool
    stated_at: datetime | None = None  # the instant the answer says it was made at, where it says one


@dataclass
class Round:
    consent_id: str
    withdraw_started: float = 0.0
    withdraw_answered: float = 0.0
    withdrawn_at: datetime | None = None
    reads: list[Read] = field(default_factory=list)


@dataclass
class Tally:
    path: str
    rounds: int = 0
    reads: int = 0
    started_after_commit: int = 0
    served_after_commit: int = 0
    decided_after_withdrawal: int = 0
    failed: int = 0

    def add(self, one: Round) -> None:
        self.rounds += 1
        self.reads += len(one.reads)
        after = [r for r in one.reads if r.started > one.withdraw_answered]
        self.started_after_commit += len(after)
        self.served_after_commit += sum(1 for r in after if r.served)
        self.failed += sum(1 for r in one.reads if r.status >= 400)
        assert one.withdrawn_at is not None
        self.decided_after_withdrawal += sum(
            1 for r in one.reads if r.served and r.stated_at is not None and r.stated_at >= one.withdrawn_at)

    def line(self, backend: str) -> str:
        return (f"withdrawal race | {backend:10} | {self.path:11} | rounds {self.rounds:3} | reads {self.reads:4} | "
                f"started after commit {self.started_after_commit:4} | served after commit "
                f"{self.served_after_commit:3} | decided under it after its instant {self.decided_after_withdrawal:3} | "
                f"failed {self.failed}")


def _served_ids(answer: dict[str, Any]) -> set[str]:
    return {i["id"] for s in answer["sources"] for i in s["released"]}


Reading = Callable[[httpx.Client], tuple[int, bool] | tuple[int, bool, datetime | None]]


def race(one: Round, read: Reading, emma: dict[str, str], served: str, cookies: dict[str, str] | None = None) -> None:
    """Staff read from ``READERS`` threads while the family withdraws ``one``'s permission."""
    stop = threading.Event()
    enough = threading.Condition()

    def reader() -> None:
        with httpx.Client(timeout=60, cookies=cookies) as client:
            while not stop.is_set():
                started = time.perf_counter()
                answer = read(client)
                with enough:
                    one.reads.append(Read(started, time.perf_counter(), *answer))
                    enough.notify_all()

    threads = [threading.Thread(target=reader) for _ in range(READERS)]
    for thread in threads:
        thread.start()
    time.sleep(0.01)
    one.withdraw_started = time.perf_counter()
    withdrawn = call("POST", f"{served}/api/v1/consents/{one.consent_id}/withdraw", emma, json={})
    one.withdraw_answered = time.perf_counter()
    assert withdrawn.status_code == 200, withdrawn.text
    one.withdrawn_at = datetime.fromisoformat(withdrawn.json()["status_history"][-1]["effective_at"])
    with enough:
        enough.wait_for(lambda: sum(1 for r in one.reads if r.started > one.withdraw_answered) >= AFTER_COMMIT_READS,
                        timeout=30)
    stop.set()
    for thread in threads:
        thread.join(120)


def decided_after_withdrawal(database: Database, rounds: list[Round]) -> int:
    """Decisions the broker audited at an instant after a withdrawal that still permitted under the
    permission it withdrew: each would be an answer that was not serialised with the withdrawal."""
    withdrawn = {r.consent_id: r.withdrawn_at for r in rounds}
    with database.sessions() as session:
        entries = audit_repository.find_entries(session, subject_id=LEO, event_types=["decision.made"])
    late = 0
    for entry in entries:
        details = entry.details_data
        at = datetime.fromisoformat(details["at"])
        for ref in details.get("consents", []):
            when = withdrawn.get(ref.split(":")[0])
            if when is not None and at >= when:
                late += 1
    return late


@pytest.fixture
def tally(database_url: str) -> Iterator[Callable[[str], Tally]]:
    """``tally(path)``: a path's counts, printed as a line of the table when the test ends."""
    made: list[Tally] = []

    def start(path: str) -> Tally:
        made.append(Tally(path))
        return made[-1]

    yield start
    backend = "postgresql" if database_url.startswith("postgresql") else "sqlite"
    for one in made:
        print("\n" + one.line(backend))


def _run(path: str, tally: Callable[[str], Tally], database: Database, emma: dict[str, str], served: str,
         grant_round: Callable[[], str], read: Reading,
         before_race: Callable[[], None] | None = None, cookies: dict[str, str] | None = None) -> None:
    counted = tally(path)
    rounds = []
    for _ in range(ROUNDS):
        one = Round(grant_round())
        if before_race is not None:
            before_race()
        race(one, read, emma, served, cookies)
        counted.add(one)
        rounds.append(one)
    counted.decided_after_withdrawal += decided_after_withdrawal(database, rounds)
    assert counted.failed == 0
    assert counted.started_after_commit >= ROUNDS * AFTER_COMMIT_READS
    assert counted.served_after_commit == 0
    assert counted.decided_after_withdrawal == 0


def _store_sc_items(served: str, sen: dict[str, str], emma: dict[str, str], case_id: str) -> tuple[set[str], str]:
    """Social care's records gathered for the case once, under a permission then withdrawn; a
    standing permission of social care's own keeps them stored.  Their ids and the gather's id."""
    grant(served, emma, "SHORT_BREAKS", SC, "NCC-CSC", "NCC-CSC")
    first = grant(served, emma, "EHC_NEEDS_ASSESSMENT", SC, "NCC-CSC", "NCC-SEN")
    gathered = call("POST", f"{served}/api/v1/assessments/{case_id}/gather", sen, json={"categories": SC})
    assert gathered.status_code == 200, gathered.text
    items = _served_ids(gathered.json())
    assert items
    assert call("POST", f"{served}/api/v1/consents/{first}/withdraw", emma, json={}).status_code == 200
    return items, gathered.json()["gather_id"]


def _ehc_permission(served: str, emma: dict[str, str]) -> Callable[[], str]:
    return lambda: grant(served, emma, "EHC_NEEDS_ASSESSMENT", SC, "NCC-CSC", "NCC-SEN")


def test_bundle_reads_serve_nothing_after_a_withdrawal(
    served: str, sen, emma, leo_case: str, database, tally,
) -> None:  # type: ignore[no-untyped-def]
    items, _ = _store_sc_items(served, sen, emma, leo_case)

    def read(client: httpx.Client) -> tuple[int, bool]:
        answer = client.get(f"{served}/api/v1/assessments/{leo_case}/bundle", headers=sen)
        return answer.status_code, answer.status_code == 200 and bool({i["id"] for i in answer.json()["items"]} & items)

    _run("bundle", tally, database, emma, served, _ehc_permission(served, emma), read)


def test_bundle_page_serves_nothing_after_a_withdrawal(
    served: str, sen, emma, leo_case: str, database, tally, web_session,
) -> None:  # type: ignore[no-untyped-def]
    items, _ = _store_sc_items(served, sen, emma, leo_case)
    headings = {f'<h2 class="govuk-heading-s">{escape(i["title"])}</h2>' for i in call(
        "GET", f"{served}/api/v1/assessments/{leo_case}/bundle", sen).json()["items"] if i["id"] in items}
    assert not headings, "served before any permission was granted again"
    consent = grant(served, emma, "EHC_NEEDS_ASSESSMENT", SC, "NCC-CSC", "NCC-SEN")
    headings = {f'<h2 class="govuk-heading-s">{escape(i["title"])}</h2>' for i in call(
        "GET", f"{served}/api/v1/assessments/{leo_case}/bundle", sen).json()["items"] if i["id"] in items}
    assert call("POST", f"{served}/api/v1/consents/{consent}/withdraw", emma, json={}).status_code == 200
    cookies, _ = web_session("sen.caseworker")

    def read(client: httpx.Client) -> tuple[int, bool]:
        page = client.get(f"{served}/assessments/{leo_case}/bundle")
        return page.status_code, page.status_code == 200 and any(h in page.text for h in headings)

    assert headings
    _run("bundle page", tally, database, emma, served, _ehc_permission(served, emma), read, cookies=cookies)


def test_gather_rereads_serve_nothing_after_a_withdrawal(
    served: str, sen, emma, leo_case: str, database, tally,
) -> None:  # type: ignore[no-untyped-def]
    items, gather_id = _store_sc_items(served, sen, emma, leo_case)

    def read(client: httpx.Client) -> tuple[int, bool]:
        answer = client.get(f"{served}/api/v1/assessments/{leo_case}/gathers/{gather_id}", headers=sen)
        return answer.status_code, answer.status_code == 200 and bool(_served_ids(answer.json()) & items)

    _run("re-read", tally, database, emma, served, _ehc_permission(served, emma), read)


def test_gathers_release_nothing_after_a_withdrawal(
    served: str, sen, emma, leo_case: str, database, tally,
) -> None:  # type: ignore[no-untyped-def]
    items, _ = _store_sc_items(served, sen, emma, leo_case)

    def read(client: httpx.Client) -> tuple[int, bool]:
        answer = client.post(f"{served}/api/v1/assessments/{leo_case}/gather", headers=sen, json={"categories": SC})
        return answer.status_code, answer.status_code == 200 and bool(_served_ids(answer.json()) & items)

    _run("gather", tally, database, emma, served, _ehc_permission(served, emma), read)


def test_reuse_by_another_team_serves_nothing_after_a_withdrawal(
    served: str, sen, emma, leo_case: str, database, tally, auth_headers,
) -> None:  # type: ignore[no-untyped-def]
    # Here the case's permission stands (and keeps the items stored); social care's own is raced.
    grant(served, emma, "EHC_NEEDS_ASSESSMENT", SC, "NCC-CSC", "NCC-SEN")
    gathered = call("POST", f"{served}/api/v1/assessments/{leo_case}/gather", sen, json={"categories": SC})
    items = _served_ids(gathered.json())
    assert items
    sc = auth_headers("sc.caseworker")

    def read(client: httpx.Client) -> tuple[int, bool]:
        answer = client.post(f"{served}/api/v1/record-requests", headers=sc,
                             json={"subject_id": LEO, "purpose": "SHORT_BREAKS", "categories": SC})
        return answer.status_code, answer.status_code == 200 and bool(
            {i["id"] for i in by_source(answer.json())["social_care"]["released"]} & items)

    _run("reuse", tally, database, emma, served, lambda: grant(served, emma, "SHORT_BREAKS", SC, "NCC-CSC", "NCC-CSC"),
         read)


def test_subject_access_exports_hold_nothing_after_a_withdrawal(
    served: str, sen, emma, leo_case: str, database, tally, auth_headers,
) -> None:  # type: ignore[no-untyped-def]
    # No standing permission: the withdrawal erases what rested only on it, so an export started
    # after it lists those items as no longer held.
    ig = auth_headers("ig.auditor")
    items: set[str] = set()

    def gather_round() -> None:
        gathered = call("POST", f"{served}/api/v1/assessments/{leo_case}/gather", sen, json={"categories": SC})
        assert gathered.status_code == 200, gathered.text
        items.clear()
        items.update(_served_ids(gathered.json()))
        assert items

    def read(client: httpx.Client) -> tuple[int, bool, datetime | None]:
        answer = client.get(f"{served}/api/v1/subjects/{LEO}/subject-access-export", headers=ig)
        if answer.status_code != 200:
            return answer.status_code, False, None
        export = answer.json()
        return 200, any(e["id"] in items and e["status"] == "held" for e in export["gathered_items"]), \
            datetime.fromisoformat(export["generated_at"])

    _run("SAR", tally, database, emma, served, _ehc_permission(served, emma), read, before_race=gather_round)


def test_previews_answer_while_withdrawals_race(
    served: str, sen, emma, leo_case: str, database, tally, web_session,
) -> None:  # type: ignore[no-untyped-def]
    # The preview shows what a yes would share and says nothing has been shared yet: nothing in it
    # rests on a permission today, so this path proves only that previews answer, ordered with the
    # withdrawals, while they race.
    grant(served, emma, "SHORT_BREAKS", SC, "NCC-CSC", "NCC-CSC")
    asked = call("POST", f"{served}/api/v1/consent-requests", sen, json={
        "subject_id": LEO, "basis": "confidentiality", "purpose": "EHC_NEEDS_ASSESSMENT", "categories": SC,
        "holder_organisation_ids": [org("NCC-CSC")], "recipient_organisation_ids": [org("NCC-SEN")],
        "why": "Social care's assessment describes Leo's needs at home.", "valid_for_days": 365,
        "if_declined": "We will ask social care for new advice.",
        "expires_at": (datetime.now(UTC) + timedelta(days=28)).isoformat()})
    assert asked.status_code == 201, asked.text
    cookies, _ = web_session("emma.walsh")
    page = f"{served}/family/{LEO}/requests/{asked.json()['id']}/preview"
    assert "What each service would share" in httpx.get(page, cookies=cookies, timeout=60).text

    def read(client: httpx.Client) -> tuple[int, bool]:
        return client.get(page).status_code, False

    _run("preview", tally, database, emma, served, _ehc_permission(served, emma), read, cookies=cookies)
