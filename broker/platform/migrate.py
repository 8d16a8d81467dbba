"""Alembic, driven from code: the migrations are the only way the schema is made."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, MetaData

import adapters.models
import audit.models
import broker.accounts.models
import broker.assessments.models  # noqa: F401  (registers the tables on broker's MetaData)
import broker.break_glass.models  # noqa: F401
import broker.gathering.models  # noqa: F401
import broker.records.encryption.models
import consent.models
from broker.platform.db import normalise_database_url

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"
CURRENT_HEAD_FILE = MIGRATIONS_DIR / "current_head.txt"

# Every package's tables, in one history: each package owns its own MetaData.
TARGET_METADATA: list[MetaData] = [
    consent.models.Base.metadata,
    audit.models.Base.metadata,
    adapters.models.Base.metadata,
    broker.accounts.models.Base.metadata,
]


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("path_separator", "os")
    config.attributes["database_url"] = normalise_database_url(database_url)
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str) -> None:
    command.downgrade(alembic_config(database_url), revision)


def script_heads() -> tuple[str, ...]:
    return tuple(ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads())


def current_revisions(engine: Engine) -> tuple[str, ...]:
    with engine.connect() as connection:
        return tuple(MigrationContext.configure(connection).get_current_heads())
