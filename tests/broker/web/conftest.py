"""Fixtures for the page tests: browsers (test clients) signed in as demo people."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient


@pytest.fixture
def signed_in(app: FastAPI, web_session) -> Iterator[Callable[[str], TestClient]]:  # type: ignore[no-untyped-def]
    """``signed_in(username)``: a client holding that person's session cookie (closed after the test)."""
    clients: list[TestClient] = []

    def make(username: str) -> TestClient:
        cookies, _ = web_session(username)
        client = TestClient(app, base_url="https://testserver", cookies=cookies, follow_redirects=False)
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)
