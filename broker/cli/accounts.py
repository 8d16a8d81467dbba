"""``broker accounts``: add, bind, change, disable and enable the accounts people sign in to."""

from __future__ import annotations

import getpass
import json
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

import typer
from pydantic import ValidationError
from sqlalchemy.orm import Session

from broker.cli.common import load_settings

if TYPE_CHECKING:
    from broker.accounts.models import User
    from broker.audit_trail.catalogue import Operator

accounts_app = typer.Typer(
    help="The accounts people sign in to. The broker keeps no passwords: each account is bound to an "
    "account at the council's staff directory or the citizen identity service (its issuer and subject). "
    "Every change is recorded in the audit log.",
    no_args_is_help=True,
)

T = TypeVar("T")
BY_HELP = "Who is making the change (recorded in the audit log; default: your login name)."


def _run(change: Callable[[Session], T]) -> T:
    """Run ``change`` in one unit of work; a refused change ends the command with its reason, exit 2."""
    from broker.platform.db import Database
    from broker.platform.errors import BrokerError

    database = Database(load_settings())
    try:
        with database.unit_of_work() as session:
            return change(session)
    except BrokerError as refused:
        typer.echo(f"error: {refused.detail}", err=True)
        raise typer.Exit(2) from None
    except ValidationError as invalid:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in invalid.errors())
        typer.echo(f"error: {problems}", err=True)
        raise typer.Exit(2) from None
    finally:
        database.dispose()


def _operator(by: str | None) -> Operator:
    from broker.accounts.service import operator

    return operator(by or getpass.getuser())


def _line(user: User) -> str:
    binding = f"{user.issuer} {user.external_subject or '(bound at first sign-in)'}" if user.issuer else "(not bound)"
    status = "disabled" if user.disabled_at else "enabled"
    return f"{user.username}\t{user.role}\t{status}\t{user.display_name}\t{binding}"


@accounts_app.command("add")
def add(
    username: str = typer.Argument(..., help="The account's username (at a staff directory, the username it signs in with)."),
    name: str = typer.Option(..., "--name", help="The name shown on pages, e.g. 'Joy Okafor'."),
    role: str = typer.Option(..., "--role", help="family, caseworker, safeguarding_lead, ig_auditor, admin or system."),
    issuer: str = typer.Option(None, "--issuer", help="The identity provider's issuer (its 'iss')."),
    subject: str = typer.Option(None, "--subject", help="The person's subject there ('sub'); leave out to bind at first sign-in by username."),
    organisation: str = typer.Option(None, "--organisation", help="The code of the staff member's organisation, e.g. NCC-SEN."),
    person: uuid.UUID = typer.Option(None, "--person", help="For a family account: the id of the person it belongs to."),
    by: str = typer.Option(None, "--by", help=BY_HELP),
) -> None:
    """Add an account."""
    from broker.accounts import service
    from broker.accounts.schemas import AccountCreate

    def change(session: Session) -> str:
        new = AccountCreate(username=username, display_name=name, role=role, issuer=issuer,
                            external_subject=subject, organisation_code=organisation, person_id=person)
        return _line(service.add_account(session, _operator(by), new))

    typer.echo("added: " + _run(change))


@accounts_app.command("bind")
def bind(
    username: str = typer.Argument(..., help="The account to bind."),
    issuer: str = typer.Option(..., "--issuer", help="The identity provider's issuer (its 'iss')."),
    subject: str = typer.Option(None, "--subject", help="The person's subject there ('sub'); leave out to bind at the next sign-in by username."),
    by: str = typer.Option(None, "--by", help=BY_HELP),
) -> None:
    """Bind an account to the account at an identity provider that signs in to it."""
    from broker.accounts import service
    from broker.accounts.schemas import AccountBinding

    typer.echo("bound: " + _run(lambda session: _line(service.bind_account(
        session, _operator(by), username, AccountBinding(issuer=issuer, external_subject=subject)))))


@accounts_app.command("role")
def role(
    username: str = typer.Argument(..., help="The account."),
    new_role: str = typer.Argument(..., metavar="ROLE", help="family, caseworker, safeguarding_lead, ig_auditor, admin or system."),
    by: str = typer.Option(None, "--by", help=BY_HELP),
) -> None:
    """Give an account another role."""
    from broker.accounts import service
    from broker.accounts.schemas import AccountRoleChange

    typer.echo("changed: " + _run(lambda session: _line(service.change_role(
        session, _operator(by), username, AccountRoleChange(role=new_role)))))


@accounts_app.command("disable")
def disable(
    username: str = typer.Argument(..., help="The account."),
    reason: str = typer.Option(..., "--reason", help="Why (recorded in the audit log), e.g. 'left the council'."),
    by: str = typer.Option(None, "--by", help=BY_HELP),
) -> None:
    """Switch an account off: it can no longer sign in or use a token, and its sessions end now.
    Everything it did is kept."""
    from broker.accounts import service
    from broker.accounts.schemas import AccountStatusChange

    typer.echo("disabled: " + _run(lambda session: _line(service.disable_account(
        session, _operator(by), username, AccountStatusChange(reason=reason)))))


@accounts_app.command("enable")
def enable(
    username: str = typer.Argument(..., help="The account."),
    reason: str = typer.Option(..., "--reason", help="Why (recorded in the audit log)."),
    by: str = typer.Option(None, "--by", help=BY_HELP),
) -> None:
    """Switch a disabled account on again."""
    from broker.accounts import service
    from broker.accounts.schemas import AccountStatusChange

    typer.echo("enabled: " + _run(lambda session: _line(service.enable_account(
        session, _operator(by), username, AccountStatusChange(reason=reason)))))


@accounts_app.command("list")
def list_(
    as_json: bool = typer.Option(False, "--json", help="One JSON object per line instead of a table."),
) -> None:
    """List every account: username, role, enabled or disabled, name and binding."""
    from broker.accounts import service
    from broker.accounts.schemas import AccountRead

    def read(session: Session) -> list[str]:
        users = service.list_accounts(session)
        if as_json:
            return [json.dumps(AccountRead.model_validate(u).model_dump(mode="json")) for u in users]
        return [_line(u) for u in users]

    for line in _run(read):
        typer.echo(line)
