"""The admin API for accounts: administrators only; a disabled account's token and session are
refused while its history stays; every change audited."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from audit.models import AuditEntry

pytestmark = pytest.mark.usefixtures("demo")

FAMILY_ISSUER = "https://id.citizen.example.gov.uk"


def test_only_administrators_manage_accounts(client, auth_headers) -> None:  # type: ignore[no-untyped-def]
    assert client.get("/api/v1/admin/accounts").status_code == 401
    assert client.get("/api/v1/admin/accounts", headers=auth_headers("ig.auditor")).status_code == 403
    listed = client.get("/api/v1/admin/accounts", headers=auth_headers("admin"))
    assert listed.status_code == 200 and "sen.caseworker" in {a["username"] for a in listed.json()}


def test_an_administrator_binds_disables_and_enables_an_account(client, auth_headers, web_session, database) -> None:  # type: ignore[no-untyped-def]
    admin = auth_headers("admin")
    bound = client.put("/api/v1/admin/accounts/priya.bennett/binding", headers=admin,
                       json={"issuer": FAMILY_ISSUER, "external_subject": "citizen-42"})
    assert bound.status_code == 200 and bound.json()["external_subject"] == "citizen-42"

    cookies, _ = web_session("sen.caseworker")
    token = auth_headers("sen.caseworker")
    client.cookies.update(cookies)
    assert client.get("/account").status_code == 200
    disabled = client.post("/api/v1/admin/accounts/sen.caseworker/disable", headers=admin, json={"reason": "left"})
    assert disabled.status_code == 200 and disabled.json()["disabled_at"]
    assert client.get("/api/v1/me", headers=token).status_code == 401
    page = client.get("/account", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/sign-in")
    client.cookies.clear()
    again = client.post("/api/v1/admin/accounts/sen.caseworker/disable", headers=admin, json={"reason": "left"})
    assert again.status_code == 409

    assert client.post("/api/v1/admin/accounts/sen.caseworker/enable", headers=admin, json={"reason": "back"}).status_code == 200
    assert client.get("/api/v1/me", headers=token).status_code == 200
    with database.sessions() as session:
        types = [e.event_type for e in session.scalars(
            select(AuditEntry).where(AuditEntry.event_type.startswith("admin.account_")).order_by(AuditEntry.seq))]
        actors = {e.actor_username for e in session.scalars(
            select(AuditEntry).where(AuditEntry.event_type.startswith("admin.account_")))}
    assert types == ["admin.account_bound", "admin.account_disabled", "admin.account_enabled"]
    assert actors == {"admin"}


def test_an_administrator_cannot_disable_themselves_and_bad_roles_are_422(client, auth_headers) -> None:  # type: ignore[no-untyped-def]
    admin = auth_headers("admin")
    own = client.post("/api/v1/admin/accounts/admin/disable", headers=admin, json={"reason": "oops"})
    assert own.status_code == 409 and "your own account" in own.json()["detail"]
    assert client.put("/api/v1/admin/accounts/sen.caseworker/role", headers=admin, json={"role": "superuser"}).status_code == 422
    added = client.post("/api/v1/admin/accounts", headers=admin, json={
        "username": "j.okafor", "display_name": "Joy Okafor", "role": "caseworker", "organisation_code": "NCC-SEN"})
    assert added.status_code == 201 and added.json()["issuer"] is None
    assert client.get("/api/v1/admin/accounts/j.okafor", headers=admin).json()["role"] == "caseworker"
