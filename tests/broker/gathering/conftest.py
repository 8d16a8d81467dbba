"""The broker served over real HTTP with its embedded simulators (the discovery tests' fixtures),
the two people the gathering tests act as, and Leo's case opened."""

from __future__ import annotations

import pytest

from tests.broker.gathering.leos_case import open_case
from tests.broker.identity.test_identity_discovery import served, settings  # noqa: F401


@pytest.fixture
def sen(auth_headers) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Request headers of the council's SEN caseworker."""
    return auth_headers("sen.caseworker")


@pytest.fixture
def emma(auth_headers) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Request headers of Leo's mother."""
    return auth_headers("emma.walsh")


@pytest.fixture
def leo_case(served: str, sen: dict[str, str]) -> str:  # noqa: F811
    """Leo's records linked and his EHC needs assessment opened by the SEN caseworker; its id."""
    return open_case(served, sen)
