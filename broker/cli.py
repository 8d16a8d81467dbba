"""The ``broker`` command line."""

from __future__ import annotations

import json
from datetime import date

import typer

from broker.settings import Settings

app = typer.Typer(
    help="The SEND consent broker: serve the service, migrate its database, load demo data.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Manage the database schema.", no_args_is_help=True)
demo_app = typer.Typer(help="Demo data for the embedded default (development only).", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(demo_app, name="demo")
consent_app = typer.Typer(help="Family permissions (consents) and consent requests.", no_args_is_help=True)
app.add_typer(consent_app, name="consent")


def _settings() -> Settings:
    try:
        return Settings()
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None


@app.command()
def serve(
    host: str = typer.Option(None, help="Address to listen on (default: BROKER_HOST, 127.0.0.1)."),
    port: int = typer.Option(None, help="Port to listen on (default: BROKER_PORT, 8000)."),
    workers: int = typer.Option(1, min=1, help="Worker processes (use more than one on PostgreSQL only)."),
) -> None:
    """Serve the broker over HTTP."""
    import uvicorn

    settings = _settings()
    from broker.logging import configure_logging

    configure_logging(settings.log_level)
    uvicorn.run(
        "broker.app:app_from_environment", factory=True,
        host=host or settings.host, port=port or settings.port, workers=workers,
        log_config=None, access_log=False, proxy_headers=settings.is_production,
    )


@db_app.command("upgrade")
def db_upgrade(revision: str = typer.Argument("head", help="Revision to upgrade to.")) -> None:
    """Create or migrate the database schema to the latest revision."""
    from broker.migrate import upgrade

    settings = _settings()
    upgrade(settings.database_url, revision)
    typer.echo(f"database at revision {revision}")


@db_app.command("current")
def db_current() -> None:
    """Print the revision the database is at, and the revision the code expects."""
    from broker.db import create_database_engine
    from broker.migrate import current_revisions, script_heads

    engine = create_database_engine(_settings().database_url)
    typer.echo(json.dumps({"database": list(current_revisions(engine)), "code": list(script_heads())}))
    engine.dispose()


def _refuse_outside_development(settings: Settings) -> None:
    if settings.is_production:
        typer.echo("error: demo data is for development only (BROKER_ENVIRONMENT=production)", err=True)
        raise typer.Exit(2)


@demo_app.command("seed")
def demo_seed() -> None:
    """Load the demo council, families and staff accounts (safe to run again: adds only what is missing)."""
    from broker.db import Database
    from broker.demo import seed

    settings = _settings()
    _refuse_outside_development(settings)
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
    from broker.db import Database
    from broker.demo import list_users

    settings = _settings()
    _refuse_outside_development(settings)
    database = Database(settings)
    with database.unit_of_work() as session:
        users = list_users(session, date.today())
    database.dispose()
    if not table:
        typer.echo(json.dumps(users, indent=2))
        return
    for user in users:
        where = user["organisation"] or f"family, decides for {len(user.get('children', []))} child(ren)"
        typer.echo(f"  {user['username']:<20} {user['role']:<18} {where}")


@app.command("dev-token")
def dev_token(
    username: str = typer.Argument(..., help="A demo account, e.g. sen.caseworker (see `broker demo users`)."),
    ttl: int = typer.Option(3600, "--ttl", min=1, max=86400, help="Lifetime of the token in seconds."),
) -> None:
    """Print an access token for a demo account (development only), for use as `Authorization: Bearer ...`."""
    from sqlalchemy import select

    from broker.auth.development import DevelopmentProviderRefused, issue_dev_token
    from broker.db import Database
    from broker.models import User

    settings = _settings()
    database = Database(settings)
    try:
        with database.unit_of_work() as session:
            user = session.scalars(select(User).where(User.username == username)).one_or_none()
            if user is None:
                typer.echo(f"error: no account called {username!r}; `broker demo users` lists them", err=True)
                raise typer.Exit(1)
            token = issue_dev_token(settings, user, ttl_seconds=ttl)
    except DevelopmentProviderRefused as exc:
        typer.echo(f"error: {exc} (BROKER_ENVIRONMENT={settings.environment})", err=True)
        raise typer.Exit(2) from None
    finally:
        database.dispose()
    typer.echo(token)


@consent_app.command("transition")
def consent_transition() -> None:
    """Hand decisions to young people who have reached the end of compulsory school age.

    For every such young person, the permissions their parents gave stop (recorded as expired on
    that date) and a consent request goes to the young person, who is told. Safe to run daily, and
    to run twice: what is already done is not done again. Every step is audited.
    """
    from broker.consent_actions import transition
    from broker.db import Database

    settings = _settings()
    database = Database(settings)
    with database.unit_of_work() as session:
        done = transition(session, settings.public_url)
        for number, item in enumerate(done, start=1):
            typer.echo(f"  [{number}/{len(done)}] permission {item.consent_id}: expired; "
                       f"{len(item.requests)} request(s) raised to the young person")
    database.dispose()
    typer.echo(f"transition: {len(done)} parental permission(s) handed to young people")


def main() -> None:
    app()
