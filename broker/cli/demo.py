"""``broker demo``: demo data for the embedded default."""

from __future__ import annotations

import json

import typer

from broker.cli.common import load_settings, refuse_outside_development
from broker.platform.clock import council_today

demo_app = typer.Typer(help="Demo data for the embedded default (development only).", no_args_is_help=True)


@demo_app.command("seed")
def demo_seed() -> None:
    """Load the demo council, families and staff accounts (safe to run again: adds only what is missing)."""
    from broker.dev.demo import seed
    from broker.platform.db import Database

    settings = load_settings()
    refuse_outside_development(settings)
    database = Database(settings)
    with database.unit_of_work() as session:
        added = seed(session)
    database.dispose()
    typer.echo("demo data: " + ", ".join(f"{n} {kind} added" for kind, n in added.items()))


@demo_app.command("users")
def demo_users(
    table: bool = typer.Option(False, "--table", help="Print a readable table instead of JSON."),
) -> None:
    """Print the demo accounts as JSON: username, role, organisation and, for families, their children's ids."""
    from broker.dev.demo import list_users
    from broker.platform.db import Database

    settings = load_settings()
    refuse_outside_development(settings)
    database = Database(settings)
    with database.unit_of_work() as session:
        users = list_users(session, council_today())
    database.dispose()
    if not table:
        typer.echo(json.dumps(users, indent=2))
        return
    for user in users:
        where = user["organisation"] or f"family, decides for {len(user.get('children', []))} child(ren)"
        typer.echo(f"  {user['username']:<20} {user['role']:<18} {where}")
