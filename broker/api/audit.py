"""The audit log over HTTP: IG search and proofs, public checkpoint and key, and families' access logs."""

from __future__ import annotations

import base64
import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, Field

from audit.export import entry_record
from broker.audit_trail import auditing, governance
from broker.audit_trail.access_log import AccessLogEntry, access_log
from broker.auth import Principal, Role, require_roles
from broker.auth.dependencies import PUBLIC_OPERATION
from broker.platform.clock import council_today
from broker.platform.db import SessionDep
from broker.platform.errors import InvalidInput, NotFound
from broker.platform.settings import Settings

router = APIRouter(prefix="/api/v1/audit", tags=["audit"])
subjects_router = APIRouter(prefix="/api/v1/subjects", tags=["audit"])

InformationGovernance = Annotated[Principal, Depends(require_roles(Role.ig_auditor))]
Family = Annotated[Principal, Depends(require_roles(Role.family))]

MAX_PAGE = 500


def _settings(request: Request) -> Settings:
    return request.app.state.settings


def _b64(value: bytes) -> str:
    return base64.b64encode(value).decode()


class EntryRead(BaseModel):
    seq: int
    recorded_at: str
    event_type: str
    outcome: str
    actor_user_id: str | None
    actor_username: str | None
    actor_role: str | None
    actor_organisation_id: str | None
    subject_id: str | None
    purpose: str | None
    case_reference: str | None
    reason: str | None
    request_id: str | None
    details: dict[str, Any]
    leaf_hash: str


class EntryPage(BaseModel):
    items: list[EntryRead]
    next_cursor: str | None


class InclusionProofRead(BaseModel):
    index: int
    tree_size: int
    leaf_hash: str
    root_hash: str
    proof: list[str]


class ConsistencyProofRead(BaseModel):
    first: int
    second: int
    first_root: str
    second_root: str
    proof: list[str]


class AccessLogPage(BaseModel):
    items: list[AccessLogEntry]
    next: str | None = Field(description="The cursor of the next (older) page; null on the oldest page.")
    previous: str | None = Field(description="The cursor of the previous (newer) page; null on the newest page.")


def _cursor(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return int(base64.urlsafe_b64decode(value.encode()).decode())
    except ValueError:
        raise InvalidInput("The cursor is not one this service issued.") from None


def _next_cursor(seq: int) -> str:
    return base64.urlsafe_b64encode(str(seq).encode()).decode()


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# An entry's number, no larger than the databases' 64-bit integers (larger is a 422, not a 500).
EntryNumber = Annotated[int, Path(ge=0, le=2**63 - 1, description="The entry's number.")]


@router.get("/events", response_model=EntryPage)
def search_events(
    session: SessionDep,
    caller: InformationGovernance,
    subject: str | None = Query(None, description="Only entries about this subject (person id)."),
    actor: str | None = Query(None, description="Only entries by this user id."),
    organisation: str | None = Query(None, description="Only entries by staff of this organisation id."),
    event_type: list[str] = Query([], description="Only these event types (repeat the parameter for several)."),
    since: datetime | None = Query(None, description="Recorded at or after this time (UTC unless a zone is given)."),
    until: datetime | None = Query(None, description="Recorded before this time."),
    cursor: str | None = Query(None, description="The next_cursor of the previous page."),
    limit: int = Query(50, ge=1, le=MAX_PAGE),
) -> EntryPage:
    """Search the audit log (information governance only). The search itself is recorded in the log."""
    search = governance.AuditSearch(subject_id=subject, actor_user_id=actor, actor_organisation_id=organisation,
                                    event_types=tuple(event_type), since=_utc(since), until=_utc(until))
    page = governance.search_entries(session, caller, search, after_seq=_cursor(cursor), limit=limit)
    return EntryPage(
        items=[EntryRead(**entry_record(e)) for e in page.entries],
        next_cursor=_next_cursor(page.entries[-1].seq) if page.more else None,
    )


@router.get("/events/{seq}", response_model=EntryRead)
def read_event(seq: EntryNumber, session: SessionDep, caller: InformationGovernance) -> EntryRead:
    """One audit entry by its number (information governance only; the look-up is recorded)."""
    return EntryRead(**entry_record(governance.read_entry(session, caller, seq)))


@router.get("/checkpoint", response_class=PlainTextResponse, openapi_extra=PUBLIC_OPERATION)
def read_checkpoint(request: Request, session: SessionDep) -> PlainTextResponse:
    """The latest signed checkpoint (a C2SP signed note, text/plain). Public: anyone may keep and compare them."""
    latest = governance.current_checkpoint(session, _settings(request))
    return PlainTextResponse(latest.note, media_type="text/plain; charset=utf-8")


@router.get("/verifier-key", response_class=PlainTextResponse, openapi_extra=PUBLIC_OPERATION)
def read_verifier_key(request: Request) -> PlainTextResponse:
    """The key that verifies the checkpoints, as a C2SP note verifier key ``<name>+<key id>+<key>``. Public."""
    return PlainTextResponse(auditing.verifier_key(_settings(request)) + "\n", media_type="text/plain; charset=utf-8")


@router.get("/proofs/inclusion", response_model=InclusionProofRead)
def read_inclusion_proof(
    session: SessionDep, caller: InformationGovernance,
    index: int = Query(..., ge=0, description="The entry's number."),
    tree_size: int = Query(..., ge=1, description="The size of the tree (e.g. a checkpoint's) to prove inclusion in."),
) -> InclusionProofRead:
    """The RFC 9162 inclusion proof of entry ``index`` in the tree of ``tree_size`` entries."""
    found = governance.inclusion_proof(session, index, tree_size)
    return InclusionProofRead(index=index, tree_size=tree_size, leaf_hash=_b64(found.leaf_hash),
                              root_hash=_b64(found.root_hash), proof=[_b64(p) for p in found.proof])


@router.get("/proofs/consistency", response_model=ConsistencyProofRead)
def read_consistency_proof(
    session: SessionDep, caller: InformationGovernance,
    first: int = Query(..., ge=1, description="The smaller tree size."),
    second: int = Query(..., ge=1, description="The larger tree size."),
) -> ConsistencyProofRead:
    """The RFC 9162 consistency proof that the tree of ``first`` entries is a prefix of the tree of ``second``."""
    found = governance.consistency_proof(session, first, second)
    return ConsistencyProofRead(first=first, second=second, first_root=_b64(found.first_root),
                                second_root=_b64(found.second_root), proof=[_b64(p) for p in found.proof])


@router.post("/events/{seq}/release", status_code=204)
def release_safeguarding_entry(seq: EntryNumber, session: SessionDep, caller: InformationGovernance) -> None:
    """Let the family see a safeguarding access in their child's access log (information governance only)."""
    governance.release_entry(session, caller, seq)


@subjects_router.get("/{subject_id}/access-log", response_model=AccessLogPage, responses={
    404: {"description": "No such child for you, or a cursor this service did not give you for this child."}})
def read_access_log(
    subject_id: uuid.UUID, session: SessionDep, caller: Family,
    request: Request,
    cursor: str | None = Query(None, description="A page's next or previous cursor; omit it for the newest page."),
    limit: int = Query(50, ge=1, le=200),
) -> AccessLogPage:
    """Who looked at this child's information, when, why, on which basis and whether anything was
    shared, in plain language, newest first; ``next`` pages back to the oldest.

    Only for someone who may decide for the child; anyone else gets 404, and so does a cursor this
    service did not give the caller for this child.  Other family members' own business is left
    out, and safeguarding access appears once information governance releases it.
    """
    page = access_log(session, caller.user_id, caller.person_id, subject_id, council_today(),
                      secret=_settings(request).secret_key.get_secret_value(), cursor=cursor, limit=limit)
    if page is None:
        raise NotFound("No such child.")
    return AccessLogPage(items=page.lines, next=page.older, previous=page.newer)
