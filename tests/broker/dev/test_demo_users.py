"""`broker demo seed` and `broker demo users`: the demo accounts a newcomer signs in with."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from broker.cli import app as cli
from broker.dev.demo import demo_id
from broker.platform.settings import Settings

PEOPLES_ROLES = {"family", "caseworker", "safeguarding_lead", "ig_auditor", "admin"}


def test_demo_users_lists_every_login_with_the_children_each_family_decides_for(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BROKER_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("BROKER_DATA_DIR", str(settings.data_dir))
    runner = CliRunner()
    first = runner.invoke(cli, ["demo", "seed"])
    assert first.exit_code == 0, first.output
    again = runner.invoke(cli, ["demo", "seed"])
    assert again.exit_code == 0 and "0 users added" in again.output
    result = runner.invoke(cli, ["demo", "users"])
    assert result.exit_code == 0, result.output
    users = {u["username"]: u for u in json.loads(result.output)}
    assert {u["role"] for u in users.values()} == PEOPLES_ROLES
    assert all({"username", "role", "organisation", "children"} <= set(u) for u in users.values())
    # separated parents both decide for Amelia; a young person past compulsory school age decides for himself
    amelia = str(demo_id("person:amelia"))
    assert users["sarah.clarke"]["children"] == [amelia] == users["david.clarke"]["children"]
    assert users["jordan.hughes"]["children"] == [str(demo_id("person:jordan"))]
    assert users["karen.hughes"]["children"] == []
    assert users["emma.walsh"]["children"] == [str(demo_id("person:leo"))]
    assert users["sen.caseworker"]["organisation"] == "NCC-SEN" and users["sen.caseworker"]["children"] == []
    assert users["ig.auditor"]["role"] == "ig_auditor" and users["safeguarding.lead"]["role"] == "safeguarding_lead"


def test_demo_data_is_refused_in_production(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {
        "BROKER_ENVIRONMENT": "production", "BROKER_DATABASE_URL": "postgresql://db.example/broker",
        "BROKER_SECRET_KEY": "s" * 40, "BROKER_PUBLIC_URL": "https://broker.example.gov.uk",
    }.items():
        monkeypatch.setenv(name, value)
    result = CliRunner().invoke(cli, ["demo", "users"])
    assert result.exit_code == 2
    assert "development only" in result.output
