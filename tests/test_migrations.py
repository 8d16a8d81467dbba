"""The migrations are the only way the schema is made: one head, upgrade from empty, models agree."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect

from broker.platform.db import create_database_engine
from broker.platform.migrate import (
    CURRENT_HEAD_FILE,
    TARGET_METADATA,
    alembic_config,
    current_revisions,
    downgrade,
    script_heads,
    upgrade,
)


@contextmanager
def _engine(database_url: str) -> Iterator[Engine]:
    engine = create_database_engine(database_url)
    try:
        yield engine
    finally:
        engine.dispose()


def _assert_at_head(database_url: str) -> None:
    with _engine(database_url) as engine:
        assert current_revisions(engine) == script_heads()


def test_single_head_matches_the_checked_in_current_head_file() -> None:
    heads = script_heads()
    assert len(heads) == 1, f"several migration heads: {heads}; renumber the newer revision"
    assert CURRENT_HEAD_FILE.read_text().strip() == heads[0]


def test_revisions_are_numbered_and_named_after_their_number() -> None:
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    revisions = list(script.walk_revisions())
    numbers = sorted(int(r.revision) for r in revisions)
    assert numbers == list(range(1, len(revisions) + 1))
    for revision in revisions:
        assert revision.path.rsplit("/", 1)[-1].startswith(revision.revision + "_")


def test_upgrade_from_empty_reaches_head_and_models_match_schema(database_url: str) -> None:
    # database_url is already migrated from empty by the fixture; check it landed at the head
    engine = create_database_engine(database_url)
    try:
        assert current_revisions(engine) == script_heads()
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, TARGET_METADATA)
        assert differences == [], f"models and migrated schema differ: {differences}"
    finally:
        engine.dispose()


def test_downgrade_to_empty_and_upgrade_again(database_url: str) -> None:
    downgrade(database_url, "base")
    engine = create_database_engine(database_url)
    try:
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    finally:
        engine.dispose()
    upgrade(database_url)
    _assert_at_head(database_url)


def test_0010_makes_the_opener_of_an_existing_case_its_case_officer(database_url: str) -> None:
    downgrade(database_url, "0009")
    now = datetime.now(UTC)
    org, child, opener, case = uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), uuid.uuid4()

    def table(table_name: str, **columns: sa.types.TypeEngine) -> sa.TableClause:
        return sa.table(table_name, *(sa.column(k, v) for k, v in columns.items()))

    uid, text, when = sa.Uuid(), sa.String(), sa.DateTime(timezone=True)
    engine = create_database_engine(database_url)
    try:
        with engine.begin() as connection:
            connection.execute(sa.insert(table("organisations", id=uid, code=text, name=text, kind=text, created_at=when)),
                               {"id": org, "code": "M-SEN", "name": "SEN team", "kind": "sen_team", "created_at": now})
            connection.execute(sa.insert(table("people", id=uid, given_name=text, family_name=text, is_subject=sa.Boolean(),
                                               address_confidential=sa.Boolean(), created_at=when)),
                               {"id": child, "given_name": "A", "family_name": "Child", "is_subject": True,
                                "address_confidential": False, "created_at": now})
            connection.execute(sa.insert(table("users", id=uid, username=text, display_name=text, role=text,
                                               organisation_id=uid, created_at=when)),
                               {"id": opener, "username": "m.caseworker", "display_name": "A caseworker",
                                "role": "caseworker", "organisation_id": org, "created_at": now})
            connection.execute(sa.insert(table("assessments", id=uid, reference=text, subject_id=uid, organisation_id=uid,
                                               opened_by_user_id=uid, purpose=text, received_on=sa.Date(), status=text,
                                               created_at=when)),
                               {"id": case, "reference": "EHC-2026-999999", "subject_id": child, "organisation_id": org,
                                "opened_by_user_id": opener, "purpose": "EHC_NEEDS_ASSESSMENT",
                                "received_on": date(2026, 1, 5), "status": "open", "created_at": now})
    finally:
        engine.dispose()
    upgrade(database_url)
    engine = create_database_engine(database_url)
    try:
        with engine.connect() as connection:
            officer = connection.execute(
                sa.select(sa.column("case_officer_user_id", uid)).select_from(sa.table("assessments"))
                .where(sa.column("id", uid) == case)).scalar_one()
        assert officer == opener
        assert not next(c for c in inspect(engine).get_columns("assessments") if c["name"] == "case_officer_user_id")["nullable"]
    finally:
        engine.dispose()


KEPT_TABLES = ("organisations", "people", "users", "assessments", "advice_requests", "consents", "consent_scopes",
               "audit_entries")


def test_a_database_in_use_is_migrated_down_and_up_again_with_every_row(database_url: str, demo) -> None:  # type: ignore[no-untyped-def]
    # Tables that other rows refer to are rebuilt on SQLite (batch mode): the demo's cases, advice
    # requests and permissions refer to organisations and people, so this is the upgrade a council
    # running the embedded default meets.
    def counts() -> dict[str, int]:
        with _engine(database_url) as engine, engine.connect() as connection:
            return {t: connection.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar_one()  # fixed table names
                    for t in KEPT_TABLES}

    before = counts()
    assert before["advice_requests"] and before["assessments"] and before["consent_scopes"]
    downgrade(database_url, "0008")
    assert counts() == before
    upgrade(database_url)
    assert counts() == before
    with _engine(database_url) as engine, engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            assert connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall() == []
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar_one() == 1
        officers = connection.execute(sa.text(
            "SELECT count(*) FROM assessments WHERE case_officer_user_id = opened_by_user_id")).scalar_one()
    assert officers == before["assessments"]


def test_a_migration_that_fails_on_sqlite_changes_nothing_and_can_be_run_again(database_url: str, demo) -> None:  # type: ignore[no-untyped-def]
    if not database_url.startswith("sqlite"):
        pytest.skip("PostgreSQL's DDL is transactional without help")
    downgrade(database_url, "0008")
    bad = "'00000000000000000000000000000bad'"
    with _engine(database_url) as engine:
        with engine.connect() as connection:
            # A row that refers to nothing (left by some earlier fault): the upgrade must refuse it.
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.exec_driver_sql(f"UPDATE advice_requests SET organisation_id = {bad} "
                                       "WHERE rowid = (SELECT min(rowid) FROM advice_requests)")
            connection.commit()
        tables_before = set(inspect(engine).get_table_names())
    with pytest.raises(RuntimeError, match="referring to nothing"):
        upgrade(database_url)
    with _engine(database_url) as engine:
        assert current_revisions(engine) == ("0008",)
        assert set(inspect(engine).get_table_names()) == tables_before  # no half-built copies left behind
        assert "urn" not in {c["name"] for c in inspect(engine).get_columns("organisations")}
        with engine.connect() as connection:
            connection.exec_driver_sql(f"UPDATE advice_requests SET organisation_id = NULL WHERE organisation_id = {bad}")
            connection.commit()
    upgrade(database_url)
    _assert_at_head(database_url)
