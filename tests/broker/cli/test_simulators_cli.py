"""``broker simulators serve`` explains itself and refuses production."""

from __future__ import annotations

from typer.testing import CliRunner

from broker.cli import app


def test_simulators_serve_has_help() -> None:
    result = CliRunner().invoke(app, ["simulators", "serve", "--help"])
    assert result.exit_code == 0 and "own port" in result.output


def test_simulators_serve_refuses_production(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    for name, value in {"BROKER_ENVIRONMENT": "production", "BROKER_DATABASE_URL": "postgresql://x/y",
                        "BROKER_PUBLIC_URL": "https://b.example", "BROKER_SECRET_KEY": "k" * 40,
                        "BROKER_SOURCE_SYSTEMS": "{}"}.items():
        monkeypatch.setenv(name, value)
    result = CliRunner().invoke(app, ["simulators", "serve"])
    assert result.exit_code == 2
