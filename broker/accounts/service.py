"""Account management: add an account, bind it to an identity provider's account, change its
role, disable it and enable it again.  Every change is audited in the caller's transaction.

A disabled account is refused at sign-in, on every bearer token and on every page, and its live
web sessions are ended; its row and everything it did stay, so the audit trail stays whole.
The broker keeps no passwords: an account is reached only through the identity provider it is
bound to (``issuer`` + ``external_subject``), or, until its first sign-in, by its username there.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from broker.accounts import repository
from broker.accounts.models import User
from broker.accounts.schemas import AccountBinding, AccountCreate, AccountRoleChange, AccountStatusChange
from broker.audit_trail import auditing, catalogue
from broker.audit_trail.catalogue import Operator
from broker.auth.principal import Principal, Role
from broker.platform.errors import Conflict, InvalidInput, NotFound
from consent.models import utcnow

Actor = Principal | Operator


def operator(name: str) -> Operator:
    """Someone running ``broker accounts`` at the server, named by their login."""
    return Operator(name, "operator")


def list_accounts(session: Session) -> list[User]:
    """Every account, by role then username, disabled ones included."""
    return repository.all_users(session)


def find_account(session: Session, username: str) -> User:
    """The account called ``username``; ``NotFound`` otherwise."""
    user = repository.user_by_username(session, username)
    if user is None:
        raise NotFound(f"There is no account with the username {username!r}.")
    return user


def add_account(session: Session, actor: Actor, new: AccountCreate) -> User:
    """Create an account (audited).  A family account names the person it belongs to; a staff
    account may name its organisation by code."""
    if repository.user_by_username(session, new.username) is not None:
        raise Conflict(f"An account with the username {new.username!r} already exists.")
    if new.external_subject is not None and new.issuer is None:
        raise InvalidInput("An account bound to a subject needs the issuer of that subject.")
    if new.issuer is not None and new.external_subject is not None:
        _refuse_taken_binding(session, new.issuer, new.external_subject, None)
    organisation_id = None
    if new.organisation_code is not None:
        organisation = repository.organisation_by_code(session, new.organisation_code)
        if organisation is None:
            raise InvalidInput(f"There is no organisation with the code {new.organisation_code!r}.")
        organisation_id = organisation.id
    if new.person_id is not None and repository.person_by_id(session, new.person_id) is None:
        raise InvalidInput("There is no person with that id.")
    if new.role is Role.family and new.person_id is None:
        raise InvalidInput("A family account must name the person it belongs to (person_id).")
    user = User(
        username=new.username, display_name=new.display_name, role=new.role.value,
        organisation_id=organisation_id, person_id=new.person_id,
        issuer=new.issuer, external_subject=new.external_subject,
    )
    repository.add_user(session, user)
    auditing.record(session, catalogue.account_added(
        actor, user_id=user.id, username=user.username, role=user.role, issuer=user.issuer,
        external_subject=user.external_subject))
    return user


def bind_account(session: Session, actor: Actor, username: str, binding: AccountBinding) -> User:
    """Bind the account to an identity provider's account (audited).  Without a subject, it is
    bound on its owner's next sign-in there, found by its username."""
    user = find_account(session, username)
    if binding.external_subject is not None:
        _refuse_taken_binding(session, binding.issuer, binding.external_subject, user)
    before = _binding(user)
    user.issuer, user.external_subject = binding.issuer, binding.external_subject
    session.flush()
    auditing.record(session, catalogue.account_bound(
        actor, user_id=user.id, username=user.username, issuer=user.issuer, external_subject=user.external_subject,
        was=before))
    return user


def change_role(session: Session, actor: Actor, username: str, change: AccountRoleChange) -> User:
    """Give the account another role (audited); an administrator cannot change their own."""
    user = find_account(session, username)
    _refuse_own_account(actor, user, "change the role of")
    if change.role is Role.family and user.person_id is None:
        raise InvalidInput("A family account must belong to a person; this account names none.")
    before = user.role
    user.role = change.role.value
    session.flush()
    auditing.record(session, catalogue.account_role_changed(
        actor, user_id=user.id, username=user.username, role=user.role, role_was=before))
    return user


def disable_account(session: Session, actor: Actor, username: str, change: AccountStatusChange) -> User:
    """Switch the account off (audited): no more sign-ins or tokens, its web sessions end now."""
    user = find_account(session, username)
    _refuse_own_account(actor, user, "disable")
    if user.disabled_at is not None:
        raise Conflict(f"The account {username!r} is already disabled.")
    now = utcnow()
    user.disabled_at = now
    ended = repository.end_web_sessions(session, user.id, now)
    session.flush()
    auditing.record(session, catalogue.account_disabled(
        actor, user_id=user.id, username=user.username, reason=change.reason, web_sessions_ended=ended))
    return user


def enable_account(session: Session, actor: Actor, username: str, change: AccountStatusChange) -> User:
    """Switch a disabled account on again (audited)."""
    user = find_account(session, username)
    if user.disabled_at is None:
        raise Conflict(f"The account {username!r} is not disabled.")
    disabled_at = user.disabled_at
    user.disabled_at = None
    session.flush()
    auditing.record(session, catalogue.account_enabled(
        actor, user_id=user.id, username=user.username, reason=change.reason, disabled_at=disabled_at.isoformat()))
    return user


def _refuse_taken_binding(session: Session, issuer: str, subject: str, user: User | None) -> None:
    holder = repository.user_by_binding(session, issuer, subject)
    if holder is not None and (user is None or holder.id != user.id):
        raise Conflict(f"That issuer and subject are already bound to the account {holder.username!r}.")


def _refuse_own_account(actor: Actor, user: User, action: str) -> None:
    if isinstance(actor, Principal) and actor.user_id == user.id:
        raise Conflict(f"You cannot {action} your own account; ask another administrator.")


def _binding(user: User) -> dict[str, Any]:
    return {"issuer": user.issuer, "external_subject": user.external_subject}

