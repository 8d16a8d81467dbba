"""Queries for gathered items."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, defer

from broker.accounts.models import User
from broker.gathering.models import GatheredItem
from broker.platform.db import mapped_table
from consent.models import Organisation, Person


def insert_new(session: Session, values: list[dict[str, object]]) -> None:
    """Insert items, skipping any already stored for the child (a concurrent gather included)."""
    insert = postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.flush()
    session.connection().execute(insert(mapped_table(GatheredItem)).on_conflict_do_nothing(
        index_elements=["subject_id", "source_system", "source_record_id"]), values)


def items_by_source_ids(session: Session, subject_id: uuid.UUID, source_system: str,
                        source_record_ids: Sequence[str], *, with_content: bool = True) -> list[GatheredItem]:
    """The stored items of these source records; without their sealed title and content unless asked."""
    query = select(GatheredItem).where(
        GatheredItem.subject_id == subject_id, GatheredItem.source_system == source_system,
        GatheredItem.source_record_id.in_(list(source_record_ids))).order_by(GatheredItem.source_record_id)
    if not with_content:
        query = query.options(defer(GatheredItem.title, raiseload=True), defer(GatheredItem.content, raiseload=True))
    return list(session.scalars(query.execution_options(populate_existing=True)))


def items_by_ids(session: Session, ids: Sequence[uuid.UUID]) -> list[GatheredItem]:
    return list(session.scalars(select(GatheredItem).where(GatheredItem.id.in_(list(ids)))
                                .order_by(GatheredItem.source_record_id).execution_options(populate_existing=True)))


def stored_items(session: Session, subject_id: uuid.UUID, source_system: str | None,
                 categories: Sequence[str] | None, since: datetime | None = None,
                 holder: uuid.UUID | None = None) -> list[GatheredItem]:
    query = select(GatheredItem).where(GatheredItem.subject_id == subject_id)
    if source_system is not None:
        query = query.where(GatheredItem.source_system == source_system)
    if holder is not None:
        query = query.where(GatheredItem.holder_organisation_id == holder)
    if categories is not None:
        query = query.where(GatheredItem.category.in_(list(categories)))
    if since is not None:
        query = query.where(GatheredItem.retrieved_at >= since)
    return list(session.scalars(query.order_by(GatheredItem.source_system, GatheredItem.source_record_id)))


def organisation_kind(session: Session, organisation_id: uuid.UUID | None) -> str | None:
    if organisation_id is None:
        return None
    organisation = session.get(Organisation, organisation_id)
    return organisation.kind if organisation else None


def hold_subject(session: Session, subject_id: uuid.UUID) -> None:
    """Serialise releases of a child's records with changes to the child's permissions: until
    this transaction ends, a withdrawal that also holds the subject waits (or this waits for it).
    PostgreSQL locks the subject's row; SQLite takes its single write lock now rather than at
    the first write, so what is read next is the latest committed state.  Take it before the
    instant a release is decided at, and before reading any permission."""
    if session.get_bind().dialect.name == "sqlite":
        connection = session.connection()
        if not connection.connection.dbapi_connection.in_transaction:  # type: ignore[union-attr]
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            # A transaction that has only read so far holds no lock: a write that changes nothing
            # takes the write lock now (or fails, if another writer committed since it began,
            # rather than release on what it read before).
            connection.exec_driver_sql(f"UPDATE {Person.__tablename__} SET id = id WHERE 0")
        return
    session.execute(select(Person.id).where(Person.id == subject_id).with_for_update())


def stored_with_recipients(session: Session, subject_id: uuid.UUID) -> list[tuple[GatheredItem, uuid.UUID | None]]:
    """The child's stored items (contents deferred), each with the organisation of the person who
    gathered it (its recipient), oldest first."""
    rows = session.execute(
        select(GatheredItem, User.organisation_id).join(User, User.id == GatheredItem.gathered_by_user_id)
        .where(GatheredItem.subject_id == subject_id).options(defer(GatheredItem.content), defer(GatheredItem.title))
        .order_by(GatheredItem.retrieved_at, GatheredItem.source_record_id))
    return [(item, organisation_id) for item, organisation_id in rows]
