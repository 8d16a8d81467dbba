"""What every command group shares: the settings, refusing development-only commands in production, UTC times."""

from __future__ import annotations

from datetime import UTC, datetime

import typer

from broker.platform.settings import Settings


def load_settings() -> Settings:
    """The settings from the environment; a bad setting ends the command with its message and exit 2."""
    try:
        return Settings()
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None


def refuse_outside_development(settings: Settings) -> None:
    """End the command (exit 2) in production: demo data and development credentials are refused there."""
    if settings.is_production:
        typer.echo("error: demo data is for development only (BROKER_ENVIRONMENT=production)", err=True)
        raise typer.Exit(2)


def as_utc(value: datetime | None) -> datetime | None:
    """A command-line time in UTC: a time without a zone is taken as UTC."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
