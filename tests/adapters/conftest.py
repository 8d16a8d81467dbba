"""The three simulators served over real HTTP by uvicorn, each on a free port in a background thread."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from adapters.connection import SourceSystemConfig
from adapters.simulators import KINDS, create_simulator
from adapters.simulators.common import DEVELOPMENT_CLIENT_ID, DEVELOPMENT_CLIENT_SECRET


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class RunningSimulator:
    kind: str
    url: str
    app: FastAPI
    server: uvicorn.Server
    thread: threading.Thread

    def control(self, **switches: object) -> None:
        response = httpx.put(f"{self.url}/_control", json=switches,
                             headers={"X-Simulator-Control": DEVELOPMENT_CLIENT_SECRET})
        response.raise_for_status()

    def access_log(self) -> dict:
        return httpx.get(f"{self.url}/_control/access-log",
                         headers={"X-Simulator-Control": DEVELOPMENT_CLIENT_SECRET}).json()

    def config(self, **overrides: object) -> SourceSystemConfig:
        values: dict = {"name": self.kind, "kind": self.kind, "base_url": self.url,
                        "client_id": DEVELOPMENT_CLIENT_ID, "client_secret": DEVELOPMENT_CLIENT_SECRET,
                        "timeout_seconds": 2.0, "retry_base_delay": 0.01}
        values.update(overrides)
        return SourceSystemConfig(**values)  # type: ignore[arg-type]


def start(kind: str, app: FastAPI) -> RunningSimulator:
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True, name=f"simulator-{kind}")
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError(f"the {kind} simulator did not start")
        time.sleep(0.02)
    return RunningSimulator(kind, f"http://127.0.0.1:{port}", app, server, thread)


@pytest.fixture(scope="session")
def running_simulators() -> Iterator[dict[str, RunningSimulator]]:
    running = {kind: start(kind, create_simulator(kind)) for kind in KINDS}
    yield running
    for sim in running.values():
        sim.server.should_exit = True
    for sim in running.values():
        sim.thread.join(timeout=5)


@pytest.fixture
def simulators(running_simulators: dict[str, RunningSimulator]) -> Iterator[dict[str, RunningSimulator]]:
    """The running simulators, with every fault switch off before and after the test."""
    for sim in running_simulators.values():
        sim.control()
    yield running_simulators
    for sim in running_simulators.values():
        sim.control()
