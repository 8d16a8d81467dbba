"""Signing in to the pages in tests, until the pages' own sign-in exists: a resolver for the
``app.state.web_principal`` slot that takes the username from a test-only request header."""

from __future__ import annotations

from fastapi import FastAPI, Request
from sqlalchemy import select

from broker.auth.principal import Principal, Role
from broker.models import User

TEST_USER_HEADER = "x-test-user"


def install_test_sign_in(app: FastAPI) -> None:
    def resolve(request: Request) -> Principal | None:
        username = request.headers.get(TEST_USER_HEADER)
        if not username:
            return None
        with request.app.state.database.sessions() as session:
            user = session.scalars(select(User).where(User.username == username)).one()
            return Principal(
                user_id=user.id, username=user.username, display_name=user.display_name, role=Role(user.role),
                organisation_id=user.organisation_id, person_id=user.person_id,
            )

    app.state.web_principal = resolve
    app.state.sign_in_url = "/sign-in"
    app.state.sign_out_url = "/sign-out"
