"""The identity-link review queue: caseworkers confirm or reject likely matches, unlink wrong
links, and undo their own or anyone's last change.  Every change is audited."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from adapters import service
from adapters.models import IdentityLink
from adapters.protocol import FetchContext
from broker.audit_trail.auditing import record
from broker.auth import Principal, Role, require_roles
from broker.identity.linking import link_event
from broker.identity.sources import find_candidates, subject_query
from broker.platform.db import SessionDep
from broker.platform.logging import current_request_id

router = APIRouter(prefix="/api/v1/identity-links", tags=["identity links"])

Caseworker = Annotated[Principal, Depends(require_roles(Role.caseworker))]


class LinkRead(BaseModel):
    id: uuid.UUID
    person_id: uuid.UUID
    source_system: str
    source_person_ref: str
    status: str
    method: str
    score: float
    reasons: list[str]
    candidate: dict[str, Any]
    held_by: str | None = Field(description="Who holds the record, as the source names it (a school's URN), if it does")
    version: int
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, link: IdentityLink) -> LinkRead:
        return cls.model_validate(link, from_attributes=True)


class ReviewQueue(BaseModel):
    items: list[LinkRead]
    total: int


class ChangeRead(BaseModel):
    sequence: int
    action: str
    from_status: str | None
    to_status: str
    actor: str
    reason: str | None
    at: datetime


class LinkDetail(LinkRead):
    history: list[ChangeRead]


class Decision(BaseModel):
    version: int = Field(description="the link's version as you saw it; a stale version is refused")
    reason: str | None = Field(None, max_length=500)


class UnlinkDecision(Decision):
    reason: str = Field(min_length=1, max_length=500)


def _audit(session: SessionDep, caller: Principal, change: service.LinkChange, reason: str | None) -> None:
    record(session, link_event(caller, change, reason))


class DiscoverRequest(BaseModel):
    person_id: uuid.UUID
    purpose: str = Field("EHC_NEEDS_ASSESSMENT", max_length=40)
    case_reference: str | None = Field(None, max_length=64)


class DiscoverResult(BaseModel):
    links: list[LinkRead] = Field(description="links made or queued for review by this search")
    in_force: dict[str, list[str]] = Field(description="source system -> local refs fetches may use")
    unavailable: dict[str, str] = Field(description="source systems that could not be searched, and why")


@router.post("/discover", response_model=DiscoverResult)
def discover(body: DiscoverRequest, request: Request, session: SessionDep, caller: Caseworker) -> DiscoverResult:
    """Search every source system for the child and record what matching decides: automatic
    links, and likely matches for review.  Nothing is fetched here."""
    query, demographics = subject_query(session, body.person_id)
    context = FetchContext(purpose=body.purpose, case_reference=body.case_reference,
                           requesting_user=caller.username, request_id=current_request_id())
    # Sync route: FastAPI runs it in a worker thread, so a private event loop here is safe and
    # leaves the server's loop free (the embedded simulators are served on it).
    candidates, failures = asyncio.run(find_candidates(request.app.state.adapters, query, context))
    changes = service.record_matches(session, body.person_id, demographics, candidates)
    for change in changes:
        _audit(session, caller, change, None)
    return DiscoverResult(links=[LinkRead.of(c.link) for c in changes],
                          in_force=service.linked_refs(session, body.person_id), unavailable=failures)


@router.get("/reviews", response_model=ReviewQueue)
def list_reviews(
    session: SessionDep, caller: Caseworker,
    limit: Annotated[int, Query(ge=1, le=200)] = 50, offset: Annotated[int, Query(ge=0, le=2**63 - 1)] = 0,
) -> ReviewQueue:
    """Links waiting for a caseworker to confirm or reject, oldest first."""
    links, total = service.review_queue(session, limit=limit, offset=offset)
    return ReviewQueue(items=[LinkRead.of(link) for link in links], total=total)


@router.get("/{link_id}", response_model=LinkDetail)
def read_link(link_id: uuid.UUID, session: SessionDep, caller: Caseworker) -> LinkDetail:
    """One link with its full history of changes."""
    link, history = service.link_with_history(session, link_id)
    return LinkDetail(**LinkRead.of(link).model_dump(),
                      history=[ChangeRead.model_validate(c, from_attributes=True) for c in history])


def _decide(session: SessionDep, caller: Principal, change: service.LinkChange, reason: str | None) -> LinkRead:
    _audit(session, caller, change, reason)
    return LinkRead.of(change.link)


@router.post("/{link_id}/confirm", response_model=LinkRead)
def confirm(link_id: uuid.UUID, body: Decision, session: SessionDep, caller: Caseworker) -> LinkRead:
    """Confirm that the source system's person is this child: fetches may now use the link."""
    return _decide(session, caller, service.confirm_link(
        session, link_id, caller.username, expected_version=body.version, reason=body.reason), body.reason)


@router.post("/{link_id}/reject", response_model=LinkRead)
def reject(link_id: uuid.UUID, body: Decision, session: SessionDep, caller: Caseworker) -> LinkRead:
    """Reject the match: these are different people, and automatic matching will not link them again."""
    return _decide(session, caller, service.reject_link(
        session, link_id, caller.username, expected_version=body.version, reason=body.reason), body.reason)


@router.post("/{link_id}/unlink", response_model=LinkRead)
def unlink(link_id: uuid.UUID, body: UnlinkDecision, session: SessionDep, caller: Caseworker) -> LinkRead:
    """Break a link in force that turned out to be wrong (a reason is required)."""
    return _decide(session, caller, service.unlink(
        session, link_id, caller.username, reason=body.reason, expected_version=body.version), body.reason)


@router.post("/{link_id}/undo", response_model=LinkRead)
def undo(link_id: uuid.UUID, body: Decision, session: SessionDep, caller: Caseworker) -> LinkRead:
    """Put the link back as it was before its last change."""
    return _decide(session, caller, service.undo_last_change(
        session, link_id, caller.username, expected_version=body.version, reason=body.reason), body.reason)
