"""On PostgreSQL the audit log is guarded by privileges as well as by triggers.

The broker's own role (``broker db grant-app-role``) may read and append, but UPDATE, DELETE and
TRUNCATE of the log are refused for lack of privilege, and the triggers cannot be dropped or
disabled by it either.  The owner that ran the migrations holds no such privileges either.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from typer.testing import CliRunner, Result

from audit import service, tree
from broker.cli import app
from broker.platform.db import Database
from broker.platform.db_roles import APPEND_ONLY_TABLES, COUNTER_TABLES
from broker.platform.settings import Settings
from tests.audit.builders import make_event

REFUSED = [
    *(f"UPDATE {table} SET {column} = {column}" for table, column in
      (("audit_entries", "outcome"), ("audit_tree_nodes", "hash"), ("audit_checkpoints", "note"))),
    *(f"DELETE FROM {table}" for table in APPEND_ONLY_TABLES + COUNTER_TABLES),
    *(f"TRUNCATE {table}" for table in APPEND_ONLY_TABLES + COUNTER_TABLES),
]
OWNER_ONLY = [
    "DROP TRIGGER audit_entries_append_only ON audit_entries",
    "ALTER TABLE audit_entries DISABLE TRIGGER ALL",
    "ALTER TABLE audit_entries DISABLE TRIGGER audit_entries_append_only",
]


def _grant_app_role(settings: Settings, monkeypatch: pytest.MonkeyPatch, role: str) -> Result:
    monkeypatch.setenv("BROKER_ENVIRONMENT", "test")
    monkeypatch.setenv("BROKER_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("BROKER_DATA_DIR", str(settings.data_dir))
    return CliRunner().invoke(app, ["db", "grant-app-role", role])


@pytest.fixture
def app_role(database: Database, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    if database.engine.dialect.name != "postgresql":
        pytest.skip("database roles and privileges are PostgreSQL's")
    role = f"broker_app_{uuid.uuid4().hex[:10]}"
    with database.engine.begin() as connection:
        connection.execute(text(f'CREATE ROLE "{role}" NOLOGIN'))
    try:
        result = _grant_app_role(settings, monkeypatch, role)
        assert result.exit_code == 0, result.output
        yield role
    finally:
        with database.engine.begin() as connection:
            connection.execute(text("RESET ROLE"))
            connection.execute(text(f'DROP OWNED BY "{role}"'))
            connection.execute(text(f'DROP ROLE "{role}"'))


def _as(session: Session, role: str) -> None:
    session.execute(text(f'SET LOCAL ROLE "{role}"'))


def test_the_application_role_can_append_checkpoint_and_prove(database: Database, app_role: str) -> None:
    with database.sessions() as session:
        _as(session, app_role)
        assert service.append(session, make_event()) == 0
        session.commit()
        _as(session, app_role)
        assert service.append_many(session, [make_event(), make_event()]) == range(1, 3)
        tree.extend(session)
        service.sign_checkpoint(session, Ed25519PrivateKey.generate(), "test/audit")
        assert len(service.inclusion_proof(session, 1, 3)) == 2
        session.commit()


@pytest.mark.parametrize("statement", REFUSED)
def test_the_application_role_lacks_the_privilege_to_change_the_log(
    database: Database, app_role: str, statement: str
) -> None:
    with database.sessions() as session:
        service.append(session, make_event())
        tree.extend(session)
        session.commit()
        _as(session, app_role)
        with pytest.raises(DBAPIError, match="permission denied for table"):
            session.execute(text(statement))
        session.rollback()


@pytest.mark.parametrize("statement", OWNER_ONLY)
def test_the_application_role_cannot_remove_the_triggers(database: Database, app_role: str, statement: str) -> None:
    with database.sessions() as session:
        _as(session, app_role)
        with pytest.raises(DBAPIError, match="must be owner"):
            session.execute(text(statement))
        session.rollback()
        _as(session, app_role)
        with pytest.raises(DBAPIError, match="permission denied"):
            session.execute(text("SET session_replication_role = replica"))
        session.rollback()


def test_neither_public_nor_the_owner_holds_update_delete_or_truncate(session: Session) -> None:
    if session.bind.dialect.name != "postgresql":
        pytest.skip("privileges are PostgreSQL's")
    rows = session.execute(text(
        "SELECT c.relname, a.grantee = c.relowner, a.grantee = 0, a.privilege_type "
        "FROM pg_class c CROSS JOIN LATERAL aclexplode(c.relacl) a "
        "WHERE c.relname IN ('audit_entries', 'audit_tree_nodes', 'audit_checkpoints', 'audit_sequence', "
        "'audit_tree_state')"
    )).all()
    assert {name for name, *_ in rows} == set(APPEND_ONLY_TABLES + COUNTER_TABLES)  # ACLs were set, not left default
    for table, is_owner, is_public, privilege in rows:
        if is_owner or is_public:
            assert privilege not in {"DELETE", "TRUNCATE"}, (table, privilege)
            assert not (table in APPEND_ONLY_TABLES and privilege == "UPDATE"), (table, privilege)


def test_granting_a_role_is_refused_on_sqlite(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    if not settings.database_url.startswith("sqlite"):
        pytest.skip("SQLite has no roles")
    result = _grant_app_role(settings, monkeypatch, "broker_app")
    assert result.exit_code == 2
    assert "PostgreSQL" in result.output
