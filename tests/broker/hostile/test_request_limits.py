"""Oversized bodies (declared or chunked) are refused with 413, deeply nested JSON with 422."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from adapters.simulators.pdf import _assemble, _stream
from broker.dev.demo import demo_id
from broker.platform.request_limits import nests_deeper_than

MiB = 1024 * 1024


def _chunks(total: int, size: int = 64 * 1024) -> Iterator[bytes]:
    sent = 0
    while sent < total:
        chunk = b" " * min(size, total - sent)
        sent += len(chunk)
        yield chunk


def _is_problem(response, status: int) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == status
    assert response.headers["x-frame-options"] == "DENY"


def test_a_body_declared_larger_than_the_limit_is_refused_before_it_is_read(client: TestClient) -> None:
    response = client.post("/api/v1/consents", content=b"{" + b" " * MiB + b"}",
                           headers={"content-type": "application/json"})
    _is_problem(response, 413)
    assert "1 MiB" in response.json()["detail"]


def test_a_chunked_json_body_without_a_length_is_counted_as_it_arrives(client: TestClient) -> None:
    response = client.post("/api/v1/consents", content=_chunks(MiB + 1), headers={"content-type": "application/json"})
    assert "content-length" not in response.request.headers
    _is_problem(response, 413)


def test_a_chunked_form_body_without_a_length_is_counted_as_it_arrives(client: TestClient) -> None:
    response = client.post("/dev-idp/token", content=_chunks(2 * MiB),
                           headers={"content-type": "application/x-www-form-urlencoded"})
    assert "content-length" not in response.request.headers
    assert response.status_code == 413
    assert "larger than 1 MiB" in response.text


def test_a_body_within_the_limit_reaches_the_route(client: TestClient, auth_headers) -> None:  # type: ignore[no-untyped-def]
    body = {"subject_id": str(demo_id("person:amelia")), "padding": "x" * (MiB // 2)}
    response = client.post("/api/v1/decisions", json=body, headers=auth_headers("sen.caseworker"))
    assert response.status_code == 422
    assert response.json()["title"] == "The request is not valid"


def test_the_scan_upload_may_be_larger_than_the_general_limit(client: TestClient, auth_headers) -> None:  # type: ignore[no-untyped-def]
    # A real PDF of 3 MiB (one page whose content stream is mostly blank), as a large scan would be.
    scan = _assemble([b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                      b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
                      _stream(b" " * (3 * MiB))])
    form = {"person_id": str(demo_id("person:leo")), "document_type": "ep_report", "title": "Report",
            "author": "Dr Lee", "document_date": "2024-01-10"}
    response = client.post("/api/v1/ep-documents", data=form, files={"file": ("scan.pdf", scan, "application/pdf")},
                           headers=auth_headers("ep.psychologist"))
    assert response.status_code == 201, response.text
    too_big = b"%PDF-1.4\n" + b"0" * (21 * 1000 * 1000)
    response = client.post("/api/v1/ep-documents", data=form, files={"file": ("scan.pdf", too_big, "application/pdf")},
                           headers=auth_headers("ep.psychologist"))
    _is_problem(response, 413)


@pytest.mark.parametrize("depth", [33, 1000, 200_000])
def test_deeply_nested_json_is_refused_with_a_clear_error(client: TestClient, auth_headers, depth: int) -> None:  # type: ignore[no-untyped-def]
    body = "[" * depth + "]" * depth
    response = client.post("/api/v1/decisions", content=body, headers={**auth_headers("sen.caseworker"),
                                                                          "content-type": "application/json"})
    _is_problem(response, 422)
    assert "nests more than 32 levels" in response.json()["detail"]


def test_nesting_within_the_limit_is_parsed_as_usual(client: TestClient, auth_headers) -> None:  # type: ignore[no-untyped-def]
    nested: object = "x"
    for _ in range(31):
        nested = {"a": nested}
    response = client.post("/api/v1/decisions", json={"purpose": nested}, headers=auth_headers("sen.caseworker"))
    _is_problem(response, 422)
    assert response.json()["errors"]


@pytest.mark.parametrize(("body", "deeper_than_3"), [
    (b'{"a": [1, {"b": 2}]}', False),
    (b'[[[[1]]]]', True),
    (b'[[1], [[[2]]]]', True),
    (b'[[1], [[2]], [3]]', False),
    (b'{"a": "[[[[[[\\"[[[["}', False),
    (b'[]' * 1000, False),
    (b']]]]]', False),
    (b'[}[}[}[}[}', False),
])
def test_nesting_depth_ignores_brackets_inside_strings(body: bytes, deeper_than_3: bool) -> None:
    assert nests_deeper_than(body, 3) is deeper_than_3
    if not deeper_than_3 and body.startswith((b"{", b"[[")):
        json.loads(body)
