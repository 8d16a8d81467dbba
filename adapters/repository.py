"""Queries for the adapters' tables: select() and flush(), never commit()."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from adapters.models import EpPaperDocument, IdentityLink, IdentityLinkChange, LinkStatus


def get_link(session: Session, link_id: uuid.UUID, *, for_update: bool = False) -> IdentityLink | None:
    statement = select(IdentityLink).where(IdentityLink.id == link_id)
    if for_update:
        statement = statement.with_for_update()
    return session.scalars(statement).one_or_none()


def find_link(session: Session, person_id: uuid.UUID, source_system: str, ref: str) -> IdentityLink | None:
    return session.scalars(select(IdentityLink).where(
        IdentityLink.person_id == person_id, IdentityLink.source_system == source_system,
        IdentityLink.source_person_ref == ref)).one_or_none()


def links_of(session: Session, person_id: uuid.UUID, statuses: Sequence[str] = LinkStatus.all) -> list[IdentityLink]:
    return list(session.scalars(select(IdentityLink).where(
        IdentityLink.person_id == person_id, IdentityLink.status.in_(statuses)
    ).order_by(IdentityLink.source_system, IdentityLink.created_at)))


def pending_reviews(session: Session, *, limit: int, offset: int = 0) -> list[IdentityLink]:
    return list(session.scalars(select(IdentityLink).where(
        IdentityLink.status == LinkStatus.pending_review
    ).order_by(IdentityLink.created_at, IdentityLink.id).limit(limit).offset(offset)))


def count_pending_reviews(session: Session, person_id: uuid.UUID | None = None) -> int:
    """Links waiting for review: all of them, or one person's."""
    query = select(func.count()).select_from(IdentityLink).where(IdentityLink.status == LinkStatus.pending_review)
    if person_id is not None:
        query = query.where(IdentityLink.person_id == person_id)
    return session.scalar(query) or 0


def changes_of(session: Session, link_id: uuid.UUID) -> list[IdentityLinkChange]:
    return list(session.scalars(select(IdentityLinkChange).where(
        IdentityLinkChange.link_id == link_id).order_by(IdentityLinkChange.sequence)))


def add(session: Session, *rows: object) -> None:
    session.add_all(rows)
    session.flush()


def paper_document(session: Session, document_id: uuid.UUID) -> EpPaperDocument | None:
    return session.get(EpPaperDocument, document_id)


def paper_document_by_hash(session: Session, person_id: uuid.UUID, content_hash: str) -> EpPaperDocument | None:
    return session.scalars(select(EpPaperDocument).where(
        EpPaperDocument.person_id == person_id, EpPaperDocument.content_hash == content_hash)).one_or_none()


def paper_documents_of(session: Session, person_id: uuid.UUID) -> list[EpPaperDocument]:
    return list(session.scalars(select(EpPaperDocument).where(
        EpPaperDocument.person_id == person_id).order_by(EpPaperDocument.document_date, EpPaperDocument.id)))
