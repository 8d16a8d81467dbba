"""How a person vouched for by a real identity provider maps to a broker account."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from broker.accounts.models import User
from broker.auth.sign_in import AccountNotAvailable, account_for, is_safe_next, sign_in_providers
from broker.platform.settings import Settings

STAFF_ISSUER = "https://login.northshire.example.gov.uk"
FAMILY_ISSUER = "https://id.citizen.example.gov.uk"

pytestmark = pytest.mark.usefixtures("demo")


def _providers(settings: Settings):  # type: ignore[no-untyped-def]
    configured = Settings(**{**settings.model_dump(), "web_sign_in": [
        {"audience": "staff", "client_id": "broker", "client_secret": "s",
         "discovery_url": STAFF_ISSUER + "/.well-known/openid-configuration", "username_claim": "upn"},
        {"audience": "families", "client_id": "broker", "client_secret": "s",
         "discovery_url": FAMILY_ISSUER + "/.well-known/openid-configuration", "username_claim": None},
    ]})
    return {p.name: p for p in sign_in_providers(configured)}


def _prepare(session, username: str, issuer: str, subject: str | None = None) -> User:  # type: ignore[no-untyped-def]
    user = session.scalars(select(User).where(User.username == username)).one()
    user.issuer, user.external_subject = issuer, subject
    session.flush()
    return user


def test_staff_are_found_by_username_once_then_bound_to_their_subject(session, settings) -> None:  # type: ignore[no-untyped-def]
    staff = _providers(settings)["staff"]
    user = _prepare(session, "sen.caseworker", STAFF_ISSUER)
    found = account_for(session, staff, {"iss": STAFF_ISSUER, "sub": "aad-123", "upn": "sen.caseworker"})
    assert found.id == user.id and user.external_subject == "aad-123"
    # Bound: the same username with another subject (a reissued directory account) no longer reaches it.
    with pytest.raises(AccountNotAvailable):
        account_for(session, staff, {"iss": STAFF_ISSUER, "sub": "aad-999", "upn": "sen.caseworker"})
    assert account_for(session, staff, {"iss": STAFF_ISSUER, "sub": "aad-123"}).id == user.id


def test_each_provider_signs_in_only_its_own_kind_of_account(session, settings) -> None:  # type: ignore[no-untyped-def]
    providers = _providers(settings)
    _prepare(session, "sarah.clarke", STAFF_ISSUER, "sarah-sub")
    with pytest.raises(AccountNotAvailable):
        account_for(session, providers["staff"], {"iss": STAFF_ISSUER, "sub": "sarah-sub"})
    _prepare(session, "admin", FAMILY_ISSUER, "admin-sub")
    with pytest.raises(AccountNotAvailable):
        account_for(session, providers["families"], {"iss": FAMILY_ISSUER, "sub": "admin-sub"})
    _prepare(session, "priya.bennett", FAMILY_ISSUER, "citizen-42")
    assert account_for(session, providers["families"], {"iss": FAMILY_ISSUER, "sub": "citizen-42"}).username == "priya.bennett"


def test_an_account_of_another_issuer_is_not_reached(session, settings) -> None:  # type: ignore[no-untyped-def]
    _prepare(session, "ig.auditor", "https://another-council.example.gov.uk", "same-sub")
    with pytest.raises(AccountNotAvailable):
        account_for(session, _providers(settings)["staff"], {"iss": STAFF_ISSUER, "sub": "same-sub", "upn": "ig.auditor"})


def test_production_needs_https_discovery(settings) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match="discovery URL"):
        Settings(
            environment="production", database_url="postgresql://db/broker", secret_key="x" * 40,
            public_url="https://broker.example.gov.uk",
            web_sign_in=[{"audience": "staff", "client_id": "b", "client_secret": "s",
                          "discovery_url": "http://login.example/.well-known/openid-configuration"}],
        )


@pytest.mark.parametrize("target,safe", [
    ("/account", True), ("/subjects/1?x=2", True), ("//evil.example", False), ("https://evil.example", False),
    ("/\\evil.example", False), ("", False), (None, False), ("/dev-idp/authorize", False),
])
def test_only_local_pages_are_returned_to_after_sign_in(target, safe) -> None:  # type: ignore[no-untyped-def]
    assert is_safe_next(target) is safe
