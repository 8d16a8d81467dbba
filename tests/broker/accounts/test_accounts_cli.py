"""`broker accounts`: an operator adds, binds, changes, disables and enables accounts, audited."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from audit.models import AuditEntry
from broker.platform.db import Database

pytestmark = pytest.mark.usefixtures("demo")

STAFF_ISSUER = "https://login.northshire.example.gov.uk"


def _audited(database: Database, prefix: str = "admin.account_") -> list[tuple[str, str | None, dict]]:  # type: ignore[type-arg]
    with database.sessions() as session:
        return [(e.event_type, e.actor_username, e.details_data)
                for e in session.scalars(select(AuditEntry).where(AuditEntry.event_type.startswith(prefix)).order_by(AuditEntry.seq))]


def test_an_operator_adds_binds_disables_and_enables_an_account(broker_cli, database, client, auth_headers) -> None:  # type: ignore[no-untyped-def]
    added = broker_cli("accounts", "add", "j.okafor", "--name", "Joy Okafor", "--role", "caseworker",
                       "--issuer", STAFF_ISSUER, "--organisation", "NCC-SEN", "--by", "it.operator")
    assert added.exit_code == 0, added.output
    assert "j.okafor\tcaseworker\tenabled" in added.output and "(bound at first sign-in)" in added.output

    bound = broker_cli("accounts", "bind", "j.okafor", "--issuer", STAFF_ISSUER, "--subject", "aad-77", "--by", "it.operator")
    assert bound.exit_code == 0 and "aad-77" in bound.output
    assert broker_cli("accounts", "role", "j.okafor", "safeguarding_lead", "--by", "it.operator").exit_code == 0

    # A disabled account's token is refused; enabled again, it gets in.
    assert client.get("/api/v1/me", headers=auth_headers("sen.caseworker")).status_code == 200
    disabled = broker_cli("accounts", "disable", "sen.caseworker", "--reason", "left the council", "--by", "it.operator")
    assert disabled.exit_code == 0 and "disabled" in disabled.output
    refused = client.get("/api/v1/me", headers=auth_headers("sen.caseworker"))
    assert refused.status_code == 401 and refused.json()["detail"] == "This account is disabled."
    assert broker_cli("accounts", "enable", "sen.caseworker", "--reason", "returned", "--by", "it.operator").exit_code == 0
    assert client.get("/api/v1/me", headers=auth_headers("sen.caseworker")).status_code == 200

    listed = broker_cli("accounts", "list", "--json")
    rows = {r["username"]: r for r in map(json.loads, listed.output.splitlines())}
    assert rows["j.okafor"]["role"] == "safeguarding_lead" and rows["j.okafor"]["external_subject"] == "aad-77"
    assert rows["sen.caseworker"]["disabled_at"] is None

    events = _audited(database)
    assert [e[0] for e in events] == ["admin.account_added", "admin.account_bound", "admin.account_role_changed",
                                      "admin.account_disabled", "admin.account_enabled"]
    assert all(actor == "it.operator" for _, actor, _ in events)
    assert events[1][2]["was"] == {"issuer": STAFF_ISSUER, "external_subject": None}
    assert events[2][2] == {**events[2][2], "role": "safeguarding_lead", "role_was": "caseworker"}


def test_refused_changes_say_why_and_change_nothing(broker_cli, database) -> None:  # type: ignore[no-untyped-def]
    assert broker_cli("accounts", "bind", "sarah.clarke", "--issuer", STAFF_ISSUER, "--subject", "s-1").exit_code == 0
    taken = broker_cli("accounts", "bind", "david.clarke", "--issuer", STAFF_ISSUER, "--subject", "s-1")
    assert taken.exit_code == 2 and "already bound to the account 'sarah.clarke'" in taken.output
    unknown_role = broker_cli("accounts", "role", "sen.caseworker", "superuser")
    assert unknown_role.exit_code == 2 and "role" in unknown_role.output
    duplicate = broker_cli("accounts", "add", "admin", "--name", "Another", "--role", "admin")
    assert duplicate.exit_code == 2 and "already exists" in duplicate.output
    missing = broker_cli("accounts", "disable", "nobody", "--reason", "x")
    assert missing.exit_code == 2 and "no account" in missing.output
    family_without_person = broker_cli("accounts", "add", "new.parent", "--name", "New Parent", "--role", "family")
    assert family_without_person.exit_code == 2 and "person" in family_without_person.output
    assert [e[0] for e in _audited(database)] == ["admin.account_bound"]


def test_commands_explain_themselves(broker_cli) -> None:  # type: ignore[no-untyped-def]
    helped = broker_cli("accounts", "--help")
    assert helped.exit_code == 0
    for command in ("add", "bind", "role", "disable", "enable", "list"):
        assert command in helped.output
