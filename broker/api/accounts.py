"""Account management for administrators: list, add, bind, change the role of, disable and
enable accounts.  The same as ``broker accounts`` at the command line; every change is audited."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path

from broker.accounts import service
from broker.accounts.schemas import (
    AccountBinding,
    AccountCreate,
    AccountRead,
    AccountRoleChange,
    AccountStatusChange,
)
from broker.auth import Principal, Role, require_roles
from broker.platform.db import SessionDep

router = APIRouter(prefix="/api/v1/admin/accounts", tags=["accounts"])

Admin = Annotated[Principal, Depends(require_roles(Role.admin))]
Username = Annotated[str, Path(min_length=1, max_length=100, description="The account's username.")]
_NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "There is no account with that username."}}
_CONFLICT: dict[int | str, dict[str, Any]] = {
    409: {"description": "The change conflicts with the account as it is (see the detail)."}}


@router.get("", response_model=list[AccountRead])
def list_accounts(caller: Admin, session: SessionDep) -> list[AccountRead]:
    """Every account, by role then username, disabled ones included."""
    return [AccountRead.model_validate(u) for u in service.list_accounts(session)]


@router.post("", response_model=AccountRead, status_code=201, responses=_CONFLICT)
def add_account(new: AccountCreate, caller: Admin, session: SessionDep) -> AccountRead:
    """Add an account.  Bind it now (``issuer`` and ``external_subject``) or at its owner's first
    sign-in by username (``issuer`` only)."""
    return AccountRead.model_validate(service.add_account(session, caller, new))


@router.get("/{username}", response_model=AccountRead, responses=_NOT_FOUND)
def read_account(username: Username, caller: Admin, session: SessionDep) -> AccountRead:
    """One account."""
    return AccountRead.model_validate(service.find_account(session, username))


@router.put("/{username}/binding", response_model=AccountRead, responses={**_NOT_FOUND, **_CONFLICT})
def bind_account(username: Username, binding: AccountBinding, caller: Admin, session: SessionDep) -> AccountRead:
    """Bind the account to the identity provider's account that signs in to it."""
    return AccountRead.model_validate(service.bind_account(session, caller, username, binding))


@router.put("/{username}/role", response_model=AccountRead, responses={**_NOT_FOUND, **_CONFLICT})
def change_role(username: Username, change: AccountRoleChange, caller: Admin, session: SessionDep) -> AccountRead:
    """Give the account another role (not your own)."""
    return AccountRead.model_validate(service.change_role(session, caller, username, change))


@router.post("/{username}/disable", response_model=AccountRead, responses={**_NOT_FOUND, **_CONFLICT})
def disable_account(username: Username, change: AccountStatusChange, caller: Admin, session: SessionDep) -> AccountRead:
    """Switch the account off: its sign-ins and tokens are refused and its sessions end now.
    Everything it did is kept."""
    return AccountRead.model_validate(service.disable_account(session, caller, username, change))


@router.post("/{username}/enable", response_model=AccountRead, responses={**_NOT_FOUND, **_CONFLICT})
def enable_account(username: Username, change: AccountStatusChange, caller: Admin, session: SessionDep) -> AccountRead:
    """Switch a disabled account on again."""
    return AccountRead.model_validate(service.enable_account(session, caller, username, change))
