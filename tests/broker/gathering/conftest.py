"""The broker served over real HTTP with its embedded simulators, for gathering end to end."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI

from broker.settings import Settings
from tests.adapters.conftest import free_port


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(environment="test", database_url=database_url, data_dir=tmp_path / "data",
                    public_url=f"http://127.0.0.1:{free_port()}")


@pytest.fixture
def served(app: FastAPI, settings: Settings, demo) -> Iterator[str]:  # type: ignore[no-untyped-def]
    port = int(settings.public_url.rsplit(":", 1)[1])
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    yield settings.public_url
    server.should_exit = True
    thread.join(timeout=5)
