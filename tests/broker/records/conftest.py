"""The broker served over real HTTP with its embedded simulators (the discovery tests' fixtures)."""

from tests.broker.identity.test_identity_discovery import served, settings  # noqa: F401
