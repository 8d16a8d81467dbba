"""Security headers on every response: pages, errors, the API, static files and unhandled errors."""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from broker.app import create_app
from broker.platform.settings import Settings
from broker.web.security import content_security_policy, govuk_template_script, script_hash


def _directives(policy: str) -> dict[str, list[str]]:
    return {d.split()[0]: d.split()[1:] for d in (part.strip() for part in policy.split(";")) if d}


@pytest.mark.parametrize("path", ["/", "/privacy", "/accessibility", "/no-such-page", "/healthz", "/api/v1/nothing"])
def test_every_response_carries_the_security_headers(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["cache-control"] == "no-store"
    policy = _directives(response.headers["content-security-policy"])
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["default-src"] == ["'none'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"]


def test_the_policy_allows_no_inline_code_except_the_govuk_snippet_by_hash(client: TestClient) -> None:
    response = client.get("/")
    policy = _directives(response.headers["content-security-policy"])
    assert policy["style-src"] == ["'self'"]
    assert "'unsafe-inline'" not in response.headers["content-security-policy"]
    assert "'unsafe-eval'" not in response.headers["content-security-policy"]
    inline_scripts = re.findall(r"<script>(.*?)</script>", response.text, re.DOTALL)
    assert len(inline_scripts) == 1
    digest = base64.b64encode(hashlib.sha256(inline_scripts[0].encode()).digest()).decode()
    assert policy["script-src"] == ["'self'", f"'sha256-{digest}'"]
    assert "style=" not in response.text
    assert "<style" not in response.text


def test_the_hash_is_of_the_installed_template_script() -> None:
    script = govuk_template_script()
    assert "js-enabled" in script
    assert script_hash(script).startswith("'sha256-")
    assert script_hash(script + " ") != script_hash(script)


def test_hsts_is_sent_outside_development_only(tmp_path: Path, database_url: str) -> None:
    for environment, expected in (("development", False), ("test", True)):
        app = create_app(Settings(environment=environment, database_url=database_url, data_dir=tmp_path))
        with TestClient(app) as client:
            headers = client.get("/").headers
        assert ("strict-transport-security" in headers) is expected
        if expected:
            assert headers["strict-transport-security"].startswith("max-age=31536000")
        app.state.database.dispose()


def test_production_policy_upgrades_requests_and_names_extra_form_targets() -> None:
    policy = content_security_policy(form_action=["https://login.example.gov.uk"], upgrade=True)
    directives = _directives(policy)
    assert directives["form-action"] == ["'self'", "https://login.example.gov.uk"]
    assert "upgrade-insecure-requests" in directives


def test_static_files_may_be_cached_and_still_carry_the_headers(client: TestClient) -> None:
    response = client.get("/static/app.css")
    assert response.status_code == 200
    assert response.headers["cache-control"].startswith("public")
    assert response.headers["x-content-type-options"] == "nosniff"


def test_an_unhandled_error_still_carries_the_headers(app: FastAPI) -> None:
    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("something broke")

    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/boom")
    assert response.status_code == 500
    assert "something broke" not in response.text
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["cache-control"] == "no-store"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]


def test_api_docs_page_has_its_own_policy_allowing_exactly_its_script(client: TestClient) -> None:
    response = client.get("/api/docs")
    assert response.status_code == 200
    policy = _directives(response.headers["content-security-policy"])
    inline = re.findall(r"<script>(.*?)</script>", response.text, re.DOTALL)
    assert len(inline) == 1
    assert script_hash(inline[0]) in policy["script-src"]
    assert "'unsafe-inline'" not in response.headers["content-security-policy"]
    assert policy["frame-ancestors"] == ["'none'"]
