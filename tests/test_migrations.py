"""The migrations are the only way the schema is made: one head, upgrade from empty, models agree."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from broker.db import create_database_engine
from broker.migrate import (
    CURRENT_HEAD_FILE, TARGET_METADATA, alembic_config, current_revisions, downgrade, script_heads, upgrade,
)


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
    engine = create_database_engine(database_url)
    try:
        assert current_revisions(engine) == script_heads()
    finally:
        engine.dispose()
