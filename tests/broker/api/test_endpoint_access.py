"""Every endpoint, including those added later, refuses the roles it does not list (403) and
answers 404 to a family for a subject they may not decide for.

The test walks the application's routes and reads the roles each admits from its
``require_roles`` / ``require_web_roles`` dependency, so a new endpoint is covered the moment it
is added.  An API endpoint without a role dependency fails the test unless it is listed in
``PUBLIC`` below, with the reason.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

import pytest
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient

from broker.auth import Role
from broker.auth.dependencies import admitted_roles
from broker.auth.sessions import require_web_roles
from broker.dev.demo import PEOPLE, USERS, demo_id
from broker.platform.settings import Settings

# Endpoints anyone may call, and why.
PUBLIC = {
    "/": "start page",
    "/privacy": "privacy notice",
    "/accessibility": "accessibility statement",
    "/healthz": "liveness probe",
    "/readyz": "readiness probe",
    "/api/openapi.json": "API description",
    "/api/docs": "API documentation page",
    "/docs/oauth2-redirect": "API documentation page",
    "/api/v1/audit/checkpoint": "signed audit checkpoint: published so anyone can keep and compare them",
    "/api/v1/audit/verifier-key": "public key that verifies the audit checkpoints",
    "/.well-known/consent-receipt-keys.json": "public keys that verify permission receipts offline",
}
# Pages and endpoints of signing in and out themselves (they cannot need a signed-in role).
SIGN_IN_PREFIXES = ("/dev-idp/", "/sign-in", "/auth/callback/", "/sign-out", "/signed-out")

A_USER_OF = {role: next(u.username for u in USERS if u.role == role.value) for role in Role}
FAMILY_USERS = [u for u in USERS if u.role == Role.family.value]
SUBJECTS = [p.key for p in PEOPLE if p.is_subject]
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
# State-changing endpoints that browsers do not post forms to, and why no form token applies.
NOT_FORMS = {
    "/dev-idp/token": "OAuth token endpoint: called server to server, authenticated by client credentials",
    "/dev-idp/userinfo": "OpenID Connect userinfo: authenticated by a bearer token, changes nothing",
}


@dataclass(frozen=True)
class Endpoint:
    path: str
    method: str
    roles: frozenset[Role] | None
    page: bool  # authenticated by the session cookie rather than a bearer token


def _role_dependencies(dependant: Dependant) -> Iterator[tuple[frozenset[Role], bool]]:
    for sub in dependant.dependencies:
        roles = admitted_roles(sub.call) if sub.call else None
        if roles is not None:
            yield roles, sub.call.__qualname__.startswith(require_web_roles.__name__ + ".")  # type: ignore[union-attr]
        yield from _role_dependencies(sub)


def endpoints(app: FastAPI) -> list[Endpoint]:
    found = []
    for route in iter_route_contexts(app.routes):
        dependant = getattr(route, "dependant", None)
        if route.path is None or dependant is None and route.path in PUBLIC:
            continue
        declared = list(_role_dependencies(dependant)) if dependant is not None else []
        roles = frozenset.intersection(*(r for r, _ in declared)) if declared else None
        page = any(is_page for _, is_page in declared)
        for method in sorted(route.methods or ()):
            if method != "HEAD":
                found.append(Endpoint(route.path, method, roles, page))
    return found


def _fill(path: str, subject_id: uuid.UUID) -> str:
    import re

    path = path.replace("{subject_id}", str(subject_id))
    return re.sub(r"\{[^}]+\}", str(uuid.uuid4()), path)


@pytest.fixture
def decides_for(database):  # type: ignore[no-untyped-def]
    """``decides_for("sarah.clarke")``: the subject ids that demo family account may decide for today."""
    from consent.standing import subjects_decided_by

    def find(username: str) -> list[uuid.UUID]:
        person = next(u.person for u in USERS if u.username == username)
        with database.sessions() as s:
            return subjects_decided_by(s, demo_id("person:" + person), date.today()) if person else []

    return find


@pytest.fixture
def https_client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, base_url="https://testserver") as client:
        yield client


def _call(client, endpoint: Endpoint, path: str, username: str, auth_headers, web_session):  # type: ignore[no-untyped-def]
    if endpoint.page:
        cookies, token = web_session(username)
        client.cookies = cookies
        data = {"form_token": token} if endpoint.method in UNSAFE else None
        return client.request(endpoint.method, path, data=data, follow_redirects=False)
    return client.request(endpoint.method, path, headers=auth_headers(username), follow_redirects=False)


def test_every_endpoint_declares_its_roles(app: FastAPI) -> None:
    undeclared = [
        f"{e.method} {e.path}" for e in endpoints(app)
        if e.roles is None and e.path not in PUBLIC and not e.path.startswith(SIGN_IN_PREFIXES)
    ]
    assert not undeclared, f"endpoints without require_roles / require_web_roles: {undeclared}"
    assert any(e.path == "/api/v1/subjects/{subject_id}" for e in endpoints(app))


@pytest.mark.usefixtures("demo")
def test_every_role_outside_an_endpoints_list_gets_403(https_client, auth_headers, web_session, decides_for) -> None:  # type: ignore[no-untyped-def]
    checked = 0
    for endpoint in endpoints(https_client.app):
        if endpoint.roles is None:
            continue
        for role in set(Role) - endpoint.roles:
            username = A_USER_OF[role]
            # A family member's own child: the 403 must come from the role, not the relationship.
            own = decides_for(username) if role is Role.family else []
            path = _fill(endpoint.path, own[0] if own else demo_id("person:amelia"))
            response = _call(https_client, endpoint, path, username, auth_headers, web_session)
            assert response.status_code == 403, (endpoint, role, response.status_code, response.text)
            checked += 1
    assert checked > 0


@pytest.mark.usefixtures("demo")
def test_every_unrelated_family_gets_404_for_a_subject(https_client, auth_headers, web_session, decides_for) -> None:  # type: ignore[no-untyped-def]
    checked = 0
    for endpoint in endpoints(https_client.app):
        if endpoint.roles is None or Role.family not in endpoint.roles or "{subject_id}" not in endpoint.path:
            continue
        for family in FAMILY_USERS:
            own = decides_for(family.username)
            others = [demo_id("person:" + s) for s in SUBJECTS if demo_id("person:" + s) not in own] + [uuid.uuid4()]
            for subject_id in others:
                path = _fill(endpoint.path, subject_id)
                response = _call(https_client, endpoint, path, family.username, auth_headers, web_session)
                assert response.status_code == 404, (endpoint, family.username, response.status_code)
                checked += 1
    assert checked > 0


@pytest.mark.usefixtures("demo")
def test_every_state_changing_page_refuses_a_form_without_its_token(https_client, web_session) -> None:  # type: ignore[no-untyped-def]
    checked = 0
    for endpoint in endpoints(https_client.app):
        if endpoint.method not in UNSAFE or endpoint.path.startswith("/api/") or endpoint.path in NOT_FORMS:
            continue
        username = A_USER_OF[next(iter(endpoint.roles))] if endpoint.roles else "sarah.clarke"
        cookies, _ = web_session(username)
        https_client.cookies = cookies
        response = https_client.request(
            endpoint.method, _fill(endpoint.path, demo_id("person:amelia")), data={"anything": "x"}, follow_redirects=False,
        )
        assert response.status_code == 403, (endpoint, response.status_code)
        checked += 1
    assert checked > 0


def test_the_demo_data_has_an_account_for_every_role(settings: Settings) -> None:
    assert set(A_USER_OF) == set(Role)
