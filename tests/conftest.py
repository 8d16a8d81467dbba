"""Fixtures shared by every test: a fresh, migrated database per test, on SQLite and PostgreSQL.

Tests that take ``database_url`` (or anything built on it) run once on SQLite and, when
``BROKER_TEST_DATABASE_URL`` points at a PostgreSQL server, once more on PostgreSQL.  The schema
is made by the real migrations, once per backend per session, then copied for each test.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from broker.app import create_app
from broker.platform.db import Database, normalise_database_url
from broker.platform.migrate import upgrade
from broker.platform.settings import Settings

POSTGRES_URL = os.environ.get("BROKER_TEST_DATABASE_URL")


def pytest_report_header(config: pytest.Config) -> str:
    if POSTGRES_URL:
        return "PostgreSQL tests: enabled (BROKER_TEST_DATABASE_URL is set)"
    return "PostgreSQL tests: SKIPPED (set BROKER_TEST_DATABASE_URL to run them)"


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not POSTGRES_URL:
        terminalreporter.write_line(
            "note: the PostgreSQL variants were skipped because BROKER_TEST_DATABASE_URL is not set",
            yellow=True,
        )


class PostgresDatabases:
    """Creates a migrated template database once, then one copy of it per test."""

    def __init__(self, server_url: str) -> None:
        self.server_url = normalise_database_url(server_url)
        self.admin = create_engine(self.server_url, isolation_level="AUTOCOMMIT")
        self.template = f"broker_tmpl_{uuid.uuid4().hex[:10]}"
        self.created: list[str] = []

    def _url_for(self, name: str) -> str:
        return make_url(self.server_url).set(database=name).render_as_string(hide_password=False)

    def prepare(self) -> None:
        with self.admin.connect() as c:
            c.execute(text(f'CREATE DATABASE "{self.template}"'))
        upgrade(self._url_for(self.template))

    def new_database(self) -> str:
        name = f"broker_t_{uuid.uuid4().hex[:12]}"
        with self.admin.connect() as c:
            c.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"'))
        self.created.append(name)
        return self._url_for(name)

    def drop(self, url: str) -> None:
        name = make_url(url).database
        with self.admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    def close(self) -> None:
        self.drop(self._url_for(self.template))
        self.admin.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_databases() -> Iterator[PostgresDatabases]:
    if not POSTGRES_URL:
        pytest.skip("PostgreSQL: BROKER_TEST_DATABASE_URL is not set")
    databases = PostgresDatabases(POSTGRES_URL)
    databases.prepare()
    yield databases
    databases.close()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh database at the migration head, private to this test."""
    if request.param == "sqlite":
        path = tmp_path / "broker.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    databases: PostgresDatabases = request.getfixturevalue("postgres_databases")
    url = databases.new_database()
    yield url
    databases.drop(url)


@pytest.fixture(scope="session")
def development_keys(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Development signing keys made once per session (RSA generation is slow), copied into each test."""
    from broker.platform.keys import ed25519_key, rsa_key

    data_dir = tmp_path_factory.mktemp("keys")
    template = Settings(environment="test", data_dir=data_dir)
    rsa_key(template, "dev-identity-provider")
    for name in ("receipts", "checkpoints"):
        ed25519_key(template, name)
    return data_dir / "keys"


@pytest.fixture
def settings(database_url: str, tmp_path: Path, development_keys: Path) -> Settings:
    data_dir = tmp_path / "data"
    shutil.copytree(development_keys, data_dir / "keys")
    return Settings(environment="test", database_url=database_url, data_dir=data_dir)


@pytest.fixture
def database(settings: Settings) -> Iterator[Database]:
    db = Database(settings)
    yield db
    db.dispose()


@pytest.fixture
def session(database: Database) -> Iterator[Session]:
    """A session on the test's database; the test commits when it needs to."""
    with database.sessions() as s:
        yield s


@pytest.fixture
def app(settings: Settings) -> Iterator[FastAPI]:
    application = create_app(settings)
    yield application
    application.state.database.dispose()


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as c:
        yield c


@pytest.fixture
def demo(database: Database) -> None:
    """The demo council, families and staff accounts, seeded into this test's database."""
    from broker.dev.demo import seed

    with database.unit_of_work() as s:
        seed(s)


@pytest.fixture
def auth_headers(settings: Settings, database: Database, demo: None):  # type: ignore[no-untyped-def]
    """``auth_headers("sarah.clarke")``: headers carrying a development access token for a demo account."""
    from sqlalchemy import select

    from broker.accounts.models import User
    from broker.dev.identity_keys import issue_dev_token

    def make(username: str, **token_options: object) -> dict[str, str]:
        with database.sessions() as s:
            user = s.scalars(select(User).where(User.username == username)).one()
            return {"Authorization": "Bearer " + issue_dev_token(settings, user, **token_options)}  # type: ignore[arg-type]

    return make


@pytest.fixture
def web_session(settings: Settings, database: Database, demo: None):  # type: ignore[no-untyped-def]
    """``web_session("sarah.clarke") -> (cookies, form_token)``: a signed-in browser session for a
    demo account, as the sign-in pages would have made it, and the form token that goes with it."""
    import base64
    import json
    from types import SimpleNamespace

    from itsdangerous import TimestampSigner
    from sqlalchemy import select
    from starlette.requests import Request

    from broker.accounts.models import User
    from broker.auth.sessions import SESSION_COOKIE, open_web_session
    from broker.web.forms import form_token

    def make(username: str) -> tuple[dict[str, str], str]:
        with database.unit_of_work() as s:
            user = s.scalars(select(User).where(User.username == username)).one()
            sid = open_web_session(s, user, settings)
        session = {"user_id": str(user.id), "sid": sid}
        request = Request({"type": "http", "session": session, "app": SimpleNamespace(state=SimpleNamespace(settings=settings))})
        token = form_token(request)
        payload = base64.b64encode(json.dumps(session).encode())
        cookie = TimestampSigner(settings.secret_key.get_secret_value()).sign(payload).decode()
        return {SESSION_COOKIE: cookie}, token

    return make
