"""PostgreSQL stops in the middle of a run of writes, then comes back.

The test makes a PostgreSQL server of its own (``initdb``, ``pg_ctl``, a free port; never the shared
server), serves the broker on it with ``broker serve``, streams audited writes, stops the database
at once (``pg_ctl stop -m immediate``, as a crash would), and starts it again.  While it is down
every request answers 503 with ``Retry-After``; once it is back the same broker process answers
again by itself; and nothing is half-written.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from broker.dev.demo import seed
from broker.platform.db import Database
from broker.platform.migrate import upgrade
from broker.platform.settings import Settings
from tests.broker.faults.processes import BrokerProcess, PostgresCluster, free_port
from tests.broker.faults.writes import AMELIA, WriteStream, assert_nothing_half_written, grant_body, stored

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(PostgresCluster.available() is not None, reason=f"{PostgresCluster.available()}"),
]


@pytest.fixture
def cluster() -> Iterator[PostgresCluster]:
    cluster = PostgresCluster()
    try:
        cluster.create()
        cluster.start()
        yield cluster
    finally:
        cluster.destroy()


def _wait_for(condition, timeout: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def test_requests_answer_503_while_postgresql_is_down_and_the_broker_recovers_by_itself(
    cluster: PostgresCluster, tmp_path: Path, development_keys: Path,
) -> None:
    data_dir = tmp_path / "data"
    shutil.copytree(development_keys, data_dir / "keys")
    settings = Settings(environment="test", database_url=cluster.url, data_dir=data_dir,
                        public_url=f"http://127.0.0.1:{free_port()}", audit_checkpoint_interval_seconds=1)
    upgrade(settings.database_url)
    database = Database(settings)
    with database.unit_of_work() as session:
        seed(session)
    database.dispose()
    before = stored(settings.database_url)
    broker = BrokerProcess(settings, tmp_path / "broker.log", BROKER_EMBEDDED_SIMULATORS="false")
    broker.start()
    sarah = broker.bearer("sarah.clarke")
    stream = WriteStream(broker.base_url, sarah)
    try:
        stream.start()
        _wait_for(lambda: stream.count(201) >= 20, 60, "writes before the stop")
        cluster.stop("immediate")
        acknowledged_before_stop = stream.count(201)
        _wait_for(lambda: stream.count(503) >= 10, 60, "503 answers while the database is down")

        with httpx.Client(base_url=broker.base_url, headers=sarah, timeout=30) as client:
            for response in (client.post("/api/v1/consents", json=grant_body()),
                             client.get("/api/v1/consents", params={"subject_id": AMELIA})):
                assert response.status_code == 503, response.text
                assert response.headers["content-type"] == "application/problem+json"
                assert 1 <= int(response.headers["retry-after"]) <= 30
                assert response.json()["title"] == "The service is temporarily unavailable"
            ready = client.get("/readyz")
            assert ready.status_code == 503 and "retry-after" in ready.headers

            cluster.start()
            recovered_at = time.monotonic()
            _wait_for(lambda: stream.count(201) >= acknowledged_before_stop + 20, 60, "writes after the restart")
            assert client.get("/readyz").status_code == 200
            assert client.post("/api/v1/consents", json=grant_body()).status_code == 201
        stream.stop()
        assert time.monotonic() - recovered_at < 60
        assert broker.process is not None and broker.process.poll() is None, "the broker had to be restarted"
        assert set(stream.statuses) <= {200, 201, 503}, stream.statuses
        assert stream.failures == 0, "a request got no answer at all"
        assert all(r.headers.get("retry-after") for r in stream.unavailable)

        log = (tmp_path / "broker.log").read_text()
        assert "database unavailable" in log
        assert "Amelia" not in log and "Clarke" not in log and AMELIA not in log
    finally:
        stream.stop()
        broker.stop()
    assert_nothing_half_written(before, stored(settings.database_url), stream)
    verified = broker.run_cli("audit", "verify")
    assert verified.exit_code == 0, verified.output
