"""Roles: an endpoint admits exactly the roles it declares."""

from __future__ import annotations

from typing import Annotated

import pytest
from fastapi import APIRouter, Depends
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from broker.auth import Principal, Role, require_roles
from broker.cli import app as cli
from broker.platform.settings import Settings

pytestmark = pytest.mark.usefixtures("demo")


@pytest.fixture
def ig_only_client(app) -> TestClient:  # type: ignore[no-untyped-def]
    router = APIRouter()

    @router.get("/api/v1/test-ig-only")
    def ig_only(principal: Annotated[Principal, Depends(require_roles(Role.ig_auditor))]) -> dict[str, str]:
        return {"username": principal.username}

    app.include_router(router)
    with TestClient(app) as client:
        yield client


@pytest.mark.parametrize("username", ["sarah.clarke", "sen.caseworker", "safeguarding.lead", "admin"])
def test_roles_outside_the_list_get_403(ig_only_client: TestClient, auth_headers, username: str) -> None:  # type: ignore[no-untyped-def]
    response = ig_only_client.get("/api/v1/test-ig-only", headers=auth_headers(username))
    assert response.status_code == 403
    assert "ig_auditor" in response.json()["detail"]


def test_the_admitted_role_gets_in(ig_only_client: TestClient, auth_headers) -> None:  # type: ignore[no-untyped-def]
    response = ig_only_client.get("/api/v1/test-ig-only", headers=auth_headers("ig.auditor"))
    assert response.status_code == 200
    assert response.json() == {"username": "ig.auditor"}


def test_dev_token_command_prints_a_token_that_works(client: TestClient, settings: Settings, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("BROKER_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("BROKER_DATA_DIR", str(settings.data_dir))
    result = CliRunner().invoke(cli, ["dev-token", "ig.auditor", "--ttl", "60"])
    assert result.exit_code == 0, result.output
    token = result.output.strip()
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).json()["role"] == "ig_auditor"
    unknown = CliRunner().invoke(cli, ["dev-token", "nobody"])
    assert unknown.exit_code == 1 and "no account called" in unknown.output


def test_dev_token_command_refuses_when_the_provider_is_off(settings: Settings, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("BROKER_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("BROKER_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("BROKER_DEV_IDENTITY_PROVIDER", "false")
    result = CliRunner().invoke(cli, ["dev-token", "ig.auditor"])
    assert result.exit_code == 2
    assert "disabled" in result.output


def test_production_cannot_enable_the_development_provider() -> None:
    production = dict(
        environment="production", database_url="postgresql://db/broker",
        secret_key="x" * 40, public_url="https://broker.example.gov.uk",
    )
    assert Settings(**production).dev_identity_provider is False
    with pytest.raises(ValueError, match="BROKER_DEV_IDENTITY_PROVIDER"):
        Settings(**production, dev_identity_provider=True)
