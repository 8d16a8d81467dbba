"""The embedded default: the broker serves the simulators under /simulators and its adapters
reach them over real HTTP at the broker's own address."""

from __future__ import annotations

import asyncio
import threading
import time
from datetime import date

import uvicorn

from adapters.protocol import DataCategory, FetchContext, PersonQuery
from adapters.registry import fetch_from_all
from broker.app import create_app
from broker.platform.settings import Settings
from tests.adapters.conftest import free_port


def test_broker_serves_simulators_that_its_adapters_reach_over_http(database_url: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    port = free_port()
    settings = Settings(environment="test", database_url=database_url, data_dir=tmp_path,
                        public_url=f"http://127.0.0.1:{port}")
    app = create_app(settings)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        while not server.started:
            time.sleep(0.02)
        registry = app.state.adapters
        context = FetchContext("EHC_NEEDS_ASSESSMENT", "EHC-1", requesting_user="sen.caseworker")
        query = PersonQuery("Oliver", "Bennett", date(2015, 11, 2), "M",
                            identifiers={"nhs_number": "4010232137", "upn": "X820200116002"})
        refs = {}
        for name in ("education", "social_care", "educational_psychology"):
            [candidate] = asyncio.run(registry.get(name).find_person(query, context))
            refs[name] = candidate.person_ref
        outcomes = asyncio.run(fetch_from_all(registry, refs, list(DataCategory), context))
        assert all(o.status == "ok" and o.items for o in outcomes.values())
    finally:
        server.should_exit = True
        thread.join(timeout=5)
    app.state.database.dispose()


def test_production_refuses_simulators_and_development_secrets() -> None:
    import pytest

    with pytest.raises(ValueError) as refused:
        Settings(environment="production", database_url="postgresql://x/y", public_url="https://broker.example",
                 secret_key="x" * 40, embedded_simulators=True,
                 source_systems={"education": {"kind": "education", "base_url": "http://one.example"}})
    message = str(refused.value)
    assert "BROKER_EMBEDDED_SIMULATORS" in message and "https:// base_url" in message
    assert "simulators' client secret" in message
    quiet = Settings(environment="production", database_url="postgresql://x/y", public_url="https://broker.example",
                     secret_key="x" * 40, dev_identity_provider=False)
    assert list(quiet.source_systems or {}) == ["ep_paper"] and quiet.embedded_simulators is False
