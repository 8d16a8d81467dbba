"""Alembic environment: one history for every package's tables."""

from __future__ import annotations

from alembic import context
from sqlalchemy import TypeDecorator

from broker.platform.db import create_database_engine
from broker.platform.migrate import TARGET_METADATA

target_metadata = TARGET_METADATA

config = context.config


def run_migrations_online() -> None:
    url = config.attributes["database_url"]
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = create_database_engine(url)
    with engine.connect() as connection:
        _run(connection)
    engine.dispose()


def _render_item(type_: str, obj: object, autogen_context: object) -> str | bool:
    """Render the packages' own column types as plain SQLAlchemy types, so revisions stand alone."""
    if type_ == "type" and isinstance(obj, TypeDecorator):
        return f"sa.{obj.impl!r}"
    return False


def _configure(connection, sqlite: bool) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=sqlite,
        compare_type=True,
        render_item=_render_item,
    )


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    if connection.dialect.name != "sqlite":
        _configure(connection, False)
        with context.begin_transaction():
            context.run_migrations()
        return
    # Batch mode changes a SQLite table by copying it, dropping it and renaming the copy; SQLite
    # refuses to drop a table that other rows refer to while foreign keys are enforced.  So they
    # are off while migrating (the pragma only takes effect outside a transaction), and every
    # reference is checked before the migration commits.  The whole run is one SQLite transaction,
    # begun explicitly, so that a failure rolls back the tables it made or changed too (the driver
    # would otherwise commit each CREATE and DROP as it runs) and a second attempt starts clean.
    connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
    connection.commit()
    try:
        with connection.begin():
            connection.exec_driver_sql("BEGIN")
            _configure(connection, True)  # inside a transaction of ours: Alembic leaves committing to us
            context.run_migrations()
            _check_references(connection)
    finally:
        connection.exec_driver_sql("PRAGMA foreign_keys=ON")
        connection.commit()


def _check_references(connection) -> None:  # type: ignore[no-untyped-def]
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        table, rowid, parent, _ = broken[0]
        raise RuntimeError(f"the migration would leave {len(broken)} row(s) referring to nothing "
                           f"(first: {table} row {rowid} -> {parent}); nothing was changed")


if context.is_offline_mode():
    raise SystemExit("offline (SQL script) migrations are not supported; run `broker db upgrade`")
run_migrations_online()
