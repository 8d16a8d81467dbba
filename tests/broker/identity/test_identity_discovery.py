"""Discovery end to end: the broker, served over real HTTP with its embedded simulators, searches
the three systems for a demo child and links them; a caseworker then works the review queue."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from broker.dev.demo import demo_id
from broker.platform.settings import Settings
from tests.adapters.conftest import free_port


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(environment="test", database_url=database_url, data_dir=tmp_path / "data",
                    public_url=f"http://127.0.0.1:{free_port()}")


@pytest.fixture
def served(app: FastAPI, settings: Settings) -> Iterator[str]:
    port = int(settings.public_url.rsplit(":", 1)[1])
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    yield settings.public_url
    server.should_exit = True
    thread.join(timeout=5)


def test_discovery_links_a_demo_child_in_all_three_systems(served: str, auth_headers) -> None:  # type: ignore[no-untyped-def]
    headers = auth_headers("sen.caseworker")
    leo = str(demo_id("person:leo"))
    response = httpx.post(f"{served}/api/v1/identity-links/discover", json={"person_id": leo}, headers=headers, timeout=30)
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["unavailable"] == {}
    assert set(result["in_force"]) == {"education", "social_care", "educational_psychology"}
    assert all(link["method"] in ("nhs_number", "upn") for link in result["links"])
    again = httpx.post(f"{served}/api/v1/identity-links/discover", json={"person_id": leo}, headers=headers, timeout=30)
    assert again.json()["links"] == [] and again.json()["in_force"] == result["in_force"]


def test_discovery_of_an_unknown_person_is_404_and_families_may_not(served: str, auth_headers) -> None:  # type: ignore[no-untyped-def]
    bad = httpx.post(f"{served}/api/v1/identity-links/discover", json={"person_id": str(demo_id("person:sarah"))},
                     headers=auth_headers("sen.caseworker"), timeout=30)
    assert bad.status_code == 404
    family = httpx.post(f"{served}/api/v1/identity-links/discover", json={"person_id": str(demo_id("person:leo"))},
                        headers=auth_headers("sarah.clarke"), timeout=30)
    assert family.status_code == 403
