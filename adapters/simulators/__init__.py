"""Simulated source systems: small FastAPI apps that behave like each product's integration API.

``create_simulator(kind, ...)`` builds one; the broker mounts them in its own process (the
embedded default) or ``broker simulators serve`` runs each on its own port.
"""

from __future__ import annotations

from fastapi import FastAPI

from adapters.simulators.common import SimulatorCredentials

KINDS = ("education", "social_care", "educational_psychology")


def create_simulator(
    kind: str, credentials: SimulatorCredentials | None = None, *, seed: int | None = None, size: int | None = None
) -> FastAPI:
    """The simulator of ``kind`` over the shared synthetic population."""
    from adapters.simulators import education, educational_psychology, social_care
    from adapters.simulators.population import DEFAULT_SEED, DEFAULT_SIZE, build_population

    population = build_population(seed or DEFAULT_SEED, size or DEFAULT_SIZE)
    factory = {
        "education": education.create_app,
        "social_care": social_care.create_app,
        "educational_psychology": educational_psychology.create_app,
    }.get(kind)
    if factory is None:
        raise ValueError(f"no simulator of kind {kind!r}; choose from {', '.join(KINDS)}")
    return factory(population, credentials or SimulatorCredentials())
