"""Administrators' account pages: add an account, change its role and binding, disable it (which
signs its owner out and refuses their token) and enable it again; each change audited."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from audit.models import AuditEntry
from broker.platform.db import Database
from tests.broker.web.form_helpers import form_token

pytestmark = pytest.mark.usefixtures("demo")

STAFF_ISSUER = "https://login.northshire.example.gov.uk"


def _account_events(database: Database) -> list[tuple[str, str | None]]:
    with database.sessions() as session:
        return [(e.event_type, e.actor_username) for e in session.scalars(
            select(AuditEntry).where(AuditEntry.event_type.startswith("admin.account_")).order_by(AuditEntry.seq))]


def test_only_administrators_see_the_account_pages(signed_in) -> None:  # type: ignore[no-untyped-def]
    for username in ("sen.caseworker", "ig.auditor", "sarah.clarke"):
        assert signed_in(username).get("/admin/accounts").status_code == 403
    page = signed_in("admin").get("/admin/accounts")
    assert page.status_code == 200 and "sen.caseworker" in page.text and 'href="/admin/accounts"' in page.text


def test_an_administrator_adds_changes_disables_and_enables_an_account(signed_in, client, auth_headers, database) -> None:  # type: ignore[no-untyped-def]
    admin = signed_in("admin")
    token = form_token(admin, "/admin/accounts/new")
    refused = admin.post("/admin/accounts/new", data={"form_token": token, "username": "", "display_name": "Joy", "role": ""})
    assert refused.status_code == 422 and "Enter a username" in refused.text and "Select a role" in refused.text
    added = admin.post("/admin/accounts/new", data={
        "form_token": token, "username": "j.okafor", "display_name": "Joy Okafor", "role": "caseworker",
        "issuer": STAFF_ISSUER, "external_subject": "", "organisation_code": "NCC-SEN"})
    assert added.status_code == 303 and added.headers["location"] == "/admin/accounts/j.okafor?done=added"
    page = admin.get("/admin/accounts/j.okafor?done=added")
    assert "The account was added." in page.text and "Bound at first sign-in" in page.text

    token = form_token(admin, "/admin/accounts/j.okafor")
    assert admin.post("/admin/accounts/j.okafor/role", data={"form_token": token, "role": "ig_auditor"}).status_code == 303
    assert admin.post("/admin/accounts/j.okafor/binding", data={
        "form_token": token, "issuer": STAFF_ISSUER, "external_subject": "aad-1"}).status_code == 303
    assert "aad-1" in admin.get("/admin/accounts/j.okafor").text

    caseworker = signed_in("sen.caseworker")
    assert caseworker.get("/account").status_code == 200
    no_reason = admin.post("/admin/accounts/sen.caseworker/disable", data={"form_token": token, "reason": ""})
    assert no_reason.status_code == 422 and "Say why the account is disabled" in no_reason.text
    disabled = admin.post("/admin/accounts/sen.caseworker/disable", data={"form_token": token, "reason": "left"})
    assert disabled.status_code == 303
    assert "Disabled since" in admin.get("/admin/accounts/sen.caseworker").text
    # Signed out now, and the token refused.
    assert caseworker.get("/account").status_code == 303
    assert client.get("/api/v1/me", headers=auth_headers("sen.caseworker")).status_code == 401
    own = admin.post("/admin/accounts/admin/disable", data={"form_token": token, "reason": "x"})
    assert own.status_code == 422 and "your own account" in own.text
    assert admin.post("/admin/accounts/sen.caseworker/enable", data={"form_token": token, "reason": "back"}).status_code == 303
    assert client.get("/api/v1/me", headers=auth_headers("sen.caseworker")).status_code == 200

    assert _account_events(database) == [
        ("admin.account_added", "admin"), ("admin.account_role_changed", "admin"), ("admin.account_bound", "admin"),
        ("admin.account_disabled", "admin"), ("admin.account_enabled", "admin")]
