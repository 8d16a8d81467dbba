"""The source systems as the broker configures them: one adapter registry per app."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from adapters.connection import SourceSystemConfig
from adapters.registry import AdapterRegistry
from broker.settings import Settings

SIMULATOR_PREFIX = "/simulators"


def source_system_configs(settings: Settings) -> list[SourceSystemConfig]:
    """Each enabled source system's config; one with no base URL points at its embedded simulator."""
    configs = []
    for name, system in settings.source_systems.items():
        if not system.enabled:
            continue
        base_url = system.base_url or f"{settings.public_url.rstrip('/')}{SIMULATOR_PREFIX}/{system.kind}"
        configs.append(SourceSystemConfig(
            name=name, kind=system.kind, base_url=base_url, client_id=system.client_id,
            client_secret=system.client_secret.get_secret_value() if system.client_secret else None,
            token_path=system.token_path, timeout_seconds=system.timeout_seconds,
            connect_timeout_seconds=system.connect_timeout_seconds, max_response_bytes=system.max_response_bytes,
            retry_attempts=system.retry_attempts, breaker_failure_threshold=system.breaker_failure_threshold,
            breaker_reset_seconds=system.breaker_reset_seconds, verify_tls=system.verify_tls, module=system.module))
    return configs


def build_registry(settings: Settings, sessions: sessionmaker[Session]) -> AdapterRegistry:
    """The registry of every configured adapter (the EP paper store reads through ``sessions``)."""
    return AdapterRegistry.from_configs(source_system_configs(settings), sessions=sessions)
