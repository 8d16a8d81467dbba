"""The signed-in caller's own account."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from broker.auth import Principal, Role, require_roles

router = APIRouter(prefix="/api/v1", tags=["account"])

AnyUser = Annotated[Principal, Depends(require_roles(*Role))]


class AccountRead(BaseModel):
    user_id: uuid.UUID
    username: str
    display_name: str
    role: Role
    organisation_id: uuid.UUID | None


@router.get("/me", response_model=AccountRead)
def read_my_account(principal: AnyUser) -> AccountRead:
    """Who the bearer token belongs to, and the role the broker gives them."""
    return AccountRead(
        user_id=principal.user_id, username=principal.username, display_name=principal.display_name,
        role=principal.role, organisation_id=principal.organisation_id,
    )
