"""Every error answer, an unexpected one (500) included, carries its request id in the body, the
X-Request-ID header and the log line."""

from __future__ import annotations

import json
import logging

from fastapi import FastAPI
from fastapi.testclient import TestClient

from broker.platform.logging import JsonFormatter


def _add_failing_route(app: FastAPI) -> None:
    def fails() -> None:
        raise RuntimeError("a fault in the broker")

    app.add_api_route("/api/v1/fails-for-the-test", fails)


class _JsonLines(logging.Handler):
    """The log lines as the broker writes them, formatted when they are written."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.setFormatter(JsonFormatter())
        self.lines: list[dict[str, object]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(json.loads(self.format(record)))


def test_an_unexpected_error_carries_its_request_id(app) -> None:  # type: ignore[no-untyped-def]
    _add_failing_route(app)
    handler = _JsonLines()
    logging.getLogger("broker").addHandler(handler)
    try:
        with TestClient(app, raise_server_exceptions=False) as client:
            response = client.get("/api/v1/fails-for-the-test", headers={"X-Request-ID": "req-12345678"})
    finally:
        logging.getLogger("broker").removeHandler(handler)
    assert response.status_code == 500
    assert response.json()["request_id"] == "req-12345678"
    assert response.headers["x-request-id"] == "req-12345678"
    assert "a fault in the broker" not in response.text
    lines = [line for line in handler.lines if line["message"] == "unhandled error"]
    assert lines and lines[0]["request_id"] == "req-12345678"


def test_a_made_up_request_id_is_the_same_in_body_and_header(app) -> None:  # type: ignore[no-untyped-def]
    _add_failing_route(app)
    with TestClient(app, raise_server_exceptions=False) as client:
        for path in ("/api/v1/fails-for-the-test", "/api/v1/me", "/api/v1/no-such-thing"):
            response = client.get(path)
            assert response.status_code in (401, 404, 500)
            assert response.json()["request_id"] and response.json()["request_id"] == response.headers["x-request-id"]
