"""Break-glass access (safeguarding leads) and its review (information governance)."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, status

from broker.auth import Principal, Role, require_roles
from broker.break_glass import service
from broker.break_glass.schemas import BreakGlassCreate, BreakGlassRead, BreakGlassReviewCreate
from broker.platform.clock import council_today
from broker.platform.db import SessionDep
from consent.models import utcnow

router = APIRouter(prefix="/api/v1/break-glass", tags=["break-glass"])

SafeguardingLead = Annotated[Principal, Depends(require_roles(Role.safeguarding_lead))]
Reviewer = Annotated[Principal, Depends(require_roles(Role.ig_auditor))]


@router.post("", status_code=status.HTTP_201_CREATED, response_model=BreakGlassRead,
             responses={404: {"description": "No such child."},
                        409: {"description": "You already hold an active access to this child."}})
def open_break_glass(data: BreakGlassCreate, caller: SafeguardingLead, session: SessionDep, request: Request) -> BreakGlassRead:
    """Open time-limited access to a child without the family's permission, for a reason from the
    list and a written explanation. It is flagged for IG review at once; tier 3 categories stay
    outside the broker even now."""
    access = service.open_access(session, caller, data, request.app.state.settings)
    return service.describe(access, utcnow(), council_today())


@router.get("/reviews", response_model=list[BreakGlassRead])
def list_reviews(
    caller: Reviewer, session: SessionDep,
    state: Annotated[Literal["pending", "reviewed", "all"], Query()] = "pending",
) -> list[BreakGlassRead]:
    """Break-glass accesses for review, the earliest due first (``state``: pending, reviewed or all)."""
    reviewed = {"pending": False, "reviewed": True, "all": None}[state]
    now, today = utcnow(), council_today()
    return [service.describe(a, now, today) for a in service.list_reviews(session, reviewed)]


@router.post("/reviews/{access_id}", response_model=BreakGlassRead,
             responses={404: {"description": "No such access."}, 409: {"description": "Already reviewed."}})
def review_break_glass(
    access_id: uuid.UUID, data: BreakGlassReviewCreate, caller: Reviewer, session: SessionDep
) -> BreakGlassRead:
    """Record the outcome of IG's review and whether the family may see the access in their history."""
    access = service.review_access(session, caller, access_id, data)
    return service.describe(access, utcnow(), council_today())
