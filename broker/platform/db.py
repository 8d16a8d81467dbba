"""The database: engine, sessions, and one unit of work per request."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import Connection, Engine, Table, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from broker.platform.settings import Settings


def normalise_database_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL whatever driver the URL names (or omits)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql" and parsed.drivername != "postgresql+psycopg":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def _enable_sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _begin_before_savepoint(connection: Connection, _name: str | None) -> None:
    # pysqlite opens a transaction only before INSERT, UPDATE or DELETE.  A SAVEPOINT sent first
    # would open one of its own, and its RELEASE would commit: the write inside it would commit
    # apart from the rest of the unit of work (a withdrawal without its audit entry, say).
    dbapi_connection = connection.connection.dbapi_connection
    if dbapi_connection is not None and not dbapi_connection.in_transaction:
        connection.exec_driver_sql("BEGIN")


def create_database_engine(url: str, *, pool_size: int = 10) -> Engine:
    """An engine for SQLite (the embedded default) or PostgreSQL (production)."""
    url = normalise_database_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _enable_sqlite_pragmas)
        event.listen(engine, "savepoint", _begin_before_savepoint)
        return engine
    return create_engine(
        url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True, pool_recycle=1800
    )


def read_one_snapshot(session: Session) -> None:
    """Make the rest of ``session``'s (fresh) transaction read one consistent snapshot, whatever
    other processes commit meanwhile: for checks spread over many statements, such as verifying
    the audit log while brokers append to it and extend its tree."""
    if session.get_bind().dialect.name == "postgresql":
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    else:
        session.connection().exec_driver_sql("BEGIN")


class Database:
    """Owns the engine and the session factory of one app (never a module global)."""

    def __init__(self, settings: Settings) -> None:
        self.engine = create_database_engine(settings.database_url, pool_size=settings.database_pool_size)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._sqlite_writer = threading.Lock() if self.engine.dialect.name == "sqlite" else None

    @contextmanager
    def unit_of_work(self) -> Iterator[Session]:
        """A session that commits once at the end, or rolls back if anything failed."""
        session = self.sessions()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    @contextmanager
    def writer_turn(self) -> Iterator[None]:
        """Wait for this process's turn to write, on SQLite only: its one write lock is otherwise
        polled with growing sleeps, so many short writers in one process queue here instead."""
        if self._sqlite_writer is None:
            yield
            return
        with self._sqlite_writer:
            yield

    def dispose(self) -> None:
        self.engine.dispose()


def get_database(request: Request) -> Database:
    return request.app.state.database


def get_session(request: Request) -> Iterator[Session]:
    """The request's unit of work: services flush, this commits once or rolls back."""
    with get_database(request).unit_of_work() as session:
        yield session


def release_connection(session: Session) -> None:
    """End the request's transaction so far (authentication and checks) and give its connection
    back to the pool, for a route that then waits on slow work in transactions of its own.  What
    the session did is committed; the unit of work still ends the request as usual."""
    session.commit()


DatabaseDep = Annotated[Database, Depends(get_database)]
# The unit of work ends when the route returns, before the response is sent: a client never sees
# success for a change that then fails to commit, and a redirect never outruns its commit.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def mapped_table(model: type[DeclarativeBase]) -> Table:
    """The table a model is mapped to, for Core statements on the hot paths (every model here maps
    one table, not a join or a select)."""
    table = model.__table__
    assert isinstance(table, Table)
    return table
