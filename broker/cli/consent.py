"""``broker consent``: family permissions run as a batch."""

from __future__ import annotations

import typer

from broker.cli.common import load_settings

consent_app = typer.Typer(help="Family permissions (consents) and consent requests.", no_args_is_help=True)


@consent_app.command("transition")
def consent_transition() -> None:
    """Hand decisions to young people who have reached the end of compulsory school age.

    For every such young person, the permissions their parents gave stop (recorded as expired on
    that date) and a consent request goes to the young person, who is told. Safe to run daily, and
    to run twice: what is already done is not done again. Every step is audited.
    """
    from broker.permissions.consent_actions import transition
    from broker.platform.db import Database

    settings = load_settings()
    database = Database(settings)
    with database.unit_of_work() as session:
        done = transition(session, settings.public_url)
        for number, item in enumerate(done, start=1):
            typer.echo(f"  [{number}/{len(done)}] permission {item.consent_id}: expired; "
                       f"{len(item.requests)} request(s) raised to the young person")
    database.dispose()
    typer.echo(f"transition: {len(done)} parental permission(s) handed to young people")
