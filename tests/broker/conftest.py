"""Fixtures shared by the broker's tests."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from click.testing import Result
from typer.testing import CliRunner

from broker.cli import app
from broker.platform.settings import Settings


@pytest.fixture
def broker_cli(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Result]:
    """The ``broker`` command line against the test's database: ``broker_cli("audit", "verify")``."""
    monkeypatch.setenv("BROKER_ENVIRONMENT", "test")
    monkeypatch.setenv("BROKER_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("BROKER_DATA_DIR", str(settings.data_dir))
    runner = CliRunner()
    return lambda *args: runner.invoke(app, [str(a) for a in args])
