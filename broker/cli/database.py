"""``broker db``: the database schema."""

from __future__ import annotations

import json

import typer

from broker.cli.common import load_settings

db_app = typer.Typer(help="Manage the database schema.", no_args_is_help=True)


@db_app.command("upgrade")
def db_upgrade(revision: str = typer.Argument("head", help="Revision to upgrade to.")) -> None:
    """Create or migrate the database schema to the latest revision."""
    from broker.platform.migrate import upgrade

    settings = load_settings()
    upgrade(settings.database_url, revision)
    typer.echo(f"database at revision {revision}")


@db_app.command("current")
def db_current() -> None:
    """Print the revision the database is at, and the revision the code expects."""
    from broker.platform.db import create_database_engine
    from broker.platform.migrate import current_revisions, script_heads

    engine = create_database_engine(load_settings().database_url)
    typer.echo(json.dumps({"database": list(current_revisions(engine)), "code": list(script_heads())}))
    engine.dispose()


@db_app.command("grant-app-role")
def db_grant_app_role(role: str = typer.Argument(..., help="An existing PostgreSQL role the broker will connect as.")) -> None:
    """Grant ROLE what the broker needs (PostgreSQL): on the audit log only reading and appending."""
    from broker.platform.db import create_database_engine
    from broker.platform.db_roles import grant_application_role

    engine = create_database_engine(load_settings().database_url)
    try:
        grant_application_role(engine, role)
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    finally:
        engine.dispose()
    typer.echo(f"granted {role} the broker's privileges; on the audit log: SELECT and INSERT only")
