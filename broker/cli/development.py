"""``broker dev-token`` and ``broker dev-client``: credentials from the development identity provider."""

from __future__ import annotations

import json

import typer

from broker.cli.common import load_settings

app = typer.Typer()


@app.command("dev-token")
def dev_token(
    username: str = typer.Argument(..., help="A demo account, e.g. sen.caseworker (see `broker demo users`)."),
    ttl: int = typer.Option(3600, "--ttl", min=1, max=86400, help="Lifetime of the token in seconds."),
) -> None:
    """Print an access token for a demo account (development only), for use as `Authorization: Bearer ...`."""
    from sqlalchemy import select

    from broker.accounts.models import User
    from broker.dev.identity_keys import DevelopmentProviderRefused, issue_dev_token
    from broker.platform.db import Database

    settings = load_settings()
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


@app.command("dev-client")
def dev_client(
    client_id: str = typer.Argument(..., help="A machine client: the username of a system account, e.g. education.system."),
) -> None:
    """Print the client id and secret a machine client uses with the development provider (development only).

    Exchange them for an access token with the OAuth 2.0 client credentials grant:
    `curl -u CLIENT_ID:SECRET -d grant_type=client_credentials http://127.0.0.1:8000/dev-idp/token`
    """
    from sqlalchemy import select

    from broker.accounts.models import User
    from broker.dev.identity_keys import DevelopmentProviderRefused, dev_client_secret, dev_issuer_url
    from broker.platform.db import Database

    settings = load_settings()
    database = Database(settings)
    try:
        with database.unit_of_work() as session:
            user = session.scalars(select(User).where(User.username == client_id)).one_or_none()
            if user is None or user.role != "system":
                typer.echo(f"error: no system account called {client_id!r}; `broker demo users` lists them", err=True)
                raise typer.Exit(1)
            secret = dev_client_secret(settings, client_id)
    except DevelopmentProviderRefused as exc:
        typer.echo(f"error: {exc} (BROKER_ENVIRONMENT={settings.environment})", err=True)
        raise typer.Exit(2) from None
    finally:
        database.dispose()
    typer.echo(json.dumps({
        "client_id": client_id, "client_secret": secret, "token_endpoint": dev_issuer_url(settings) + "/token",
    }, indent=2))
