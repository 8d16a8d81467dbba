"""Two broker processes on one PostgreSQL database, as behind a load balancer.

Writes split over both keep one gap-free, verifiable audit log; a permission withdrawn through one
stops decisions through the other at once; gathers through both at the same moment store each
source record once.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, func, select

from broker.dev.demo import demo_id, seed
from broker.dev.demo_case import HOLDERS, PARENT, open_leos_case
from broker.gathering.models import GatheredItem
from broker.platform.db import Database, normalise_database_url
from broker.platform.settings import Settings
from tests.broker.faults.processes import BrokerProcess, free_port
from tests.broker.faults.writes import AMELIA, SEN, WriteStream, assert_nothing_half_written, grant_body, stored

pytestmark = [pytest.mark.slow, pytest.mark.postgres]


@pytest.fixture
def brokers(postgres_databases, tmp_path: Path, development_keys: Path) -> Iterator[tuple[BrokerProcess, BrokerProcess]]:  # type: ignore[no-untyped-def]
    url = postgres_databases.new_database()
    data_dir = tmp_path / "data"
    shutil.copytree(development_keys, data_dir / "keys")
    base = Settings(environment="test", database_url=url, data_dir=data_dir)
    database = Database(base)
    with database.unit_of_work() as session:
        seed(session)
    database.dispose()
    pair = tuple(
        BrokerProcess(base.model_copy(update={"public_url": f"http://127.0.0.1:{free_port()}"}),
                      tmp_path / f"broker-{name}.log", BROKER_AUDIT_CHECKPOINT_INTERVAL_SECONDS="0.5",
                      # One log, whichever process signs its checkpoint (behind a load balancer both
                      # would share the public address the origin is otherwise named after).
                      BROKER_AUDIT_ORIGIN="broker.northshire.example/audit")
        for name in ("a", "b"))
    try:
        for broker in pair:
            broker.spawn()
        for broker in pair:
            broker.wait_until_ready()
        yield pair  # type: ignore[misc]
    finally:
        for broker in pair:
            broker.stop()
        postgres_databases.drop(url)


# Social care's assessment rests on the family's permission (a school's education records go to
# the SEN team on the council's statutory duty, whatever the permissions say).
SOCIAL_CARE = str(demo_id("org:NCC-CSC"))


def _social_care_grant() -> dict[str, object]:
    body = grant_body()
    body["scope"] = [{"data_category": "SC_ASSESSMENT", "purpose": "EHC_NEEDS_ASSESSMENT",
                      "recipient_organisation_id": SEN, "holder_organisation_id": SOCIAL_CARE}]
    return body


def _decision(client: httpx.Client) -> bool:
    response = client.post("/api/v1/decisions", json={
        "subject_id": AMELIA, "recipient_organisation_id": SEN, "purpose": "EHC_NEEDS_ASSESSMENT",
        "holder_organisation_id": SOCIAL_CARE, "categories": ["SC_ASSESSMENT"]})
    assert response.status_code == 200, response.text
    return response.json()["categories"][0]["permitted"]


def test_audit_numbering_withdrawal_and_gathering_stay_correct_across_two_processes(
    brokers: tuple[BrokerProcess, BrokerProcess],
) -> None:
    a, b = brokers
    url = a.settings.database_url

    before = stored(url)
    streams = [WriteStream(broker.base_url, broker.bearer("sarah.clarke"), writers=3) for broker in (a, b)]
    for stream in streams:
        stream.start()
    deadline = time.monotonic() + 60
    while min(s.count(201) for s in streams) < 15 and time.monotonic() < deadline:
        time.sleep(0.05)
    for stream in streams:
        stream.stop()
    assert all(s.count(201) >= 15 for s in streams), [s.statuses for s in streams]
    assert all(set(s.statuses) <= {200, 201} and s.failures == 0 for s in streams), [s.statuses for s in streams]
    merged = WriteStream(a.base_url, {})
    merged.granted = streams[0].granted | streams[1].granted
    merged.withdrawn = streams[0].withdrawn | streams[1].withdrawn
    assert_nothing_half_written(before, stored(url), merged)
    verified = a.run_cli("audit", "verify")
    assert verified.exit_code == 0, verified.output

    with httpx.Client(base_url=a.base_url, headers=a.bearer("sarah.clarke"), timeout=30) as family_a, \
            httpx.Client(base_url=b.base_url, headers=b.bearer("sen.caseworker"), timeout=30) as caseworker_b:
        for consent in family_a.get("/api/v1/consents", params={"subject_id": AMELIA}).json():
            if consent["status"] == "active":
                family_a.post(f"/api/v1/consents/{consent['id']}/withdraw", json={}).raise_for_status()
        assert not _decision(caseworker_b)
        granted = family_a.post("/api/v1/consents", json=_social_care_grant())
        assert granted.status_code == 201
        assert _decision(caseworker_b)
        family_a.post(f"/api/v1/consents/{granted.json()['id']}/withdraw", json={}).raise_for_status()
        assert not _decision(caseworker_b), "a decision through the other process still permitted after withdrawal"

    sen_a, sen_b = a.bearer("sen.caseworker"), b.bearer("sen.caseworker")
    with httpx.Client(base_url=a.base_url, timeout=60) as client:
        path = open_leos_case(client, sen_a, a.bearer(PARENT))

    def gather(broker_and_headers: tuple[BrokerProcess, dict[str, str]]) -> httpx.Response:
        broker, headers = broker_and_headers
        return httpx.post(broker.base_url + path, headers=headers, json={"categories": list(HOLDERS)}, timeout=120)

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(gather, [(a, sen_a), (b, sen_b)] * 4))
    assert all(r.status_code == 200 for r in answers), [r.text for r in answers if r.status_code != 200]
    released = {}
    for answer in answers:
        for source in answer.json()["sources"]:
            assert source["status"] == "ok", source
            for item in source["released"]:
                key = (item["provenance"]["source_system"], item["provenance"]["source_record_id"])
                released.setdefault(key, set()).add(item["id"])
    assert released and all(len(ids) == 1 for ids in released.values()), "one source record stored twice"
    engine = create_engine(normalise_database_url(url))
    with engine.connect() as connection:
        stored_items = connection.scalar(select(func.count()).select_from(GatheredItem))
    engine.dispose()
    assert stored_items == len(released)
    verified = b.run_cli("audit", "verify")
    assert verified.exit_code == 0, verified.output
