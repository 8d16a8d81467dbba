"""The broker is killed (SIGKILL) in the middle of a stream of audited writes, again and again.

After each restart ``broker audit verify`` passes, every write the broker acknowledged is there,
and no change is stored without its audit entry (nor an entry without its change).
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from broker.platform.settings import Settings
from tests.broker.faults.processes import BrokerProcess, free_port
from tests.broker.faults.writes import WriteStream, assert_nothing_half_written, stored

ROUNDS = 3

pytestmark = pytest.mark.slow


def test_acknowledged_writes_survive_sigkill_and_the_audit_log_verifies(
    settings: Settings, demo: None, tmp_path: Path,
) -> None:
    settings = settings.model_copy(update={"public_url": f"http://127.0.0.1:{free_port()}"})
    broker = BrokerProcess(settings, tmp_path / "broker.log", BROKER_EMBEDDED_SIMULATORS="false",
                           BROKER_AUDIT_CHECKPOINT_INTERVAL_SECONDS="0.5")
    acknowledged = 0
    for number in range(ROUNDS):
        before = stored(settings.database_url)
        broker.start()
        stream = WriteStream(broker.base_url, broker.bearer("sarah.clarke"))
        stream.start()
        deadline = time.monotonic() + 30
        # Kill at a different point of the stream each round.
        while stream.count(201) < 10 + 7 * number and time.monotonic() < deadline:
            time.sleep(0.01)
        broker.kill()
        stream.stop()
        after = stored(settings.database_url)
        assert stream.granted, "no write was acknowledged before the kill"
        assert_nothing_half_written(before, after, stream)
        acknowledged += len(stream.granted) + len(stream.withdrawn)

        verified = broker.run_cli("audit", "verify")
        assert verified.exit_code == 0, verified.output
        assert "audit log intact" in verified.output
    assert acknowledged >= ROUNDS * 10
