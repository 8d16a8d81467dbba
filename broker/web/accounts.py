"""Administrators' pages for accounts: the list, adding one, and on each account's page its
role, its binding to an identity provider, and switching it off or on again.  The same service
as ``broker accounts`` and ``/api/v1/admin/accounts``; every change is audited."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from broker.accounts import service
from broker.accounts.schemas import AccountBinding, AccountCreate, AccountRoleChange, AccountStatusChange
from broker.auth.principal import Principal, Role
from broker.auth.sessions import require_web_roles
from broker.platform.db import SessionDep
from broker.platform.errors import BrokerError, NotFound
from broker.web.forms import FormState, VerifiedForm, render_form_page

router = APIRouter(prefix="/admin/accounts", include_in_schema=False)

Admin = Annotated[Principal, Depends(require_web_roles(Role.admin))]
ROLES = [role.value for role in Role]
DONE = {"role": "The role was changed.", "binding": "The sign-in binding was changed.",
        "disabled": "The account was disabled. Its sessions have ended.", "enabled": "The account was enabled again.",
        "added": "The account was added."}


def _account_page(request: Request, session: Session, username: str, state: FormState) -> HTMLResponse:
    account = service.find_account(session, username)
    done = DONE.get(request.query_params.get("done", ""))
    return render_form_page(request, "admin/account.html", state, {"managed": account, "roles": ROLES, "done": done})


@router.get("", response_class=HTMLResponse)
def accounts_page(request: Request, caller: Admin, session: SessionDep) -> HTMLResponse:
    """Every account: who, which role, whether it is bound to an identity provider, enabled or not."""
    return render_form_page(request, "admin/accounts.html", FormState(), {"accounts": service.list_accounts(session)})


@router.get("/new", response_class=HTMLResponse)
def new_account_page(request: Request, caller: Admin) -> HTMLResponse:
    """The form to add an account."""
    return render_form_page(request, "admin/new_account.html", FormState(), {"roles": ROLES})


@router.post("/new")
def add_account(request: Request, caller: Admin, form: VerifiedForm, session: SessionDep) -> Response:
    """Add the account the form describes (audited)."""
    state = FormState.from_form(form)
    username = state.read_text("username", missing="Enter a username", max_length=100)
    name = state.read_text("display_name", missing="Enter the name shown on pages", max_length=200)
    role = state.read_text("role", missing="Select a role")
    if role and role not in ROLES:
        state.add_error("role", "Select a role")
    issuer = state.read_text("issuer", max_length=300) or None
    subject = state.read_text("external_subject", max_length=300) or None
    organisation = state.read_text("organisation_code", max_length=64) or None
    if not state.has_errors:
        try:
            new = AccountCreate(username=username, display_name=name, role=Role(role), issuer=issuer,
                                external_subject=subject, organisation_code=organisation)
            service.add_account(session, caller, new)
            return RedirectResponse(f"/admin/accounts/{new.username}?done=added", status_code=303)
        except ValidationError:
            state.add_error("username", "Enter a username without spaces")
        except BrokerError as refused:
            session.rollback()
            state.add_error("username", refused.detail)
    return render_form_page(request, "admin/new_account.html", state, {"roles": ROLES})


@router.get("/{username}", response_class=HTMLResponse)
def account_page(request: Request, username: str, caller: Admin, session: SessionDep) -> HTMLResponse:
    """One account, with the forms to change its role or binding and to disable or enable it."""
    return _account_page(request, session, username, FormState())


def _change(request: Request, session: Session, username: str, state: FormState, field: str, done: str,
            apply: Callable[[], object]) -> Response:
    if not state.has_errors:
        try:
            apply()
            return RedirectResponse(f"/admin/accounts/{username}?done={done}", status_code=303)
        except ValidationError:
            state.add_error(field, "Check this answer")
        except NotFound:
            raise
        except BrokerError as refused:
            session.rollback()
            state.add_error(field, refused.detail)
    return _account_page(request, session, username, state)


@router.post("/{username}/role")
def change_role(request: Request, username: str, caller: Admin, form: VerifiedForm, session: SessionDep) -> Response:
    """Give the account the chosen role (audited)."""
    state = FormState.from_form(form)
    role = state.read_text("role", missing="Select a role")
    if role and role not in ROLES:
        state.add_error("role", "Select a role")
    return _change(request, session, username, state, "role", "role",
                   lambda: service.change_role(session, caller, username, AccountRoleChange(role=Role(role))))


@router.post("/{username}/binding")
def bind_account(request: Request, username: str, caller: Admin, form: VerifiedForm, session: SessionDep) -> Response:
    """Bind the account to the identity provider's account given (audited)."""
    state = FormState.from_form(form)
    issuer = state.read_text("issuer", missing="Enter the identity provider's issuer", max_length=300)
    subject = state.read_text("external_subject", max_length=300) or None
    return _change(request, session, username, state, "issuer", "binding",
                   lambda: service.bind_account(session, caller, username,
                                                AccountBinding(issuer=issuer, external_subject=subject)))


@router.post("/{username}/disable")
def disable_account(request: Request, username: str, caller: Admin, form: VerifiedForm, session: SessionDep) -> Response:
    """Switch the account off (audited): its sign-ins and tokens are refused, its sessions end."""
    state = FormState.from_form(form)
    reason = state.read_text("reason", missing="Say why the account is disabled", max_length=500)
    return _change(request, session, username, state, "reason", "disabled",
                   lambda: service.disable_account(session, caller, username, AccountStatusChange(reason=reason)))


@router.post("/{username}/enable")
def enable_account(request: Request, username: str, caller: Admin, form: VerifiedForm, session: SessionDep) -> Response:
    """Switch the account on again (audited)."""
    state = FormState.from_form(form)
    reason = state.read_text("reason", missing="Say why the account is enabled again", max_length=500)
    return _change(request, session, username, state, "reason", "enabled",
                   lambda: service.enable_account(session, caller, username, AccountStatusChange(reason=reason)))
