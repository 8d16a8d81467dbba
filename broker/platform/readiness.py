"""Whether the broker can serve: the database answers and its schema is at the migration head."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import text

from broker.platform.db import Database
from broker.platform.migrate import current_revisions


@dataclass
class Readiness:
    ready: bool
    answer: dict[str, Any]
    retry_after: int | None = None


def readiness(database: Database, expected_heads: tuple[str, ...] | list[str]) -> Readiness:
    """Ask the database for a row and for its migration revisions; compare them with ``expected_heads``."""
    try:
        with database.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        current = current_revisions(database.engine)
    except Exception as exc:  # any failure to reach the database means not ready
        return Readiness(False, {"status": "unavailable", "database": "unreachable", "error_type": type(exc).__name__},
                         retry_after=5)
    if tuple(sorted(current)) != tuple(sorted(expected_heads)):
        return Readiness(False, {"status": "unavailable", "database": "not at migration head",
                                 "current": list(current), "expected": list(expected_heads)}, retry_after=30)
    return Readiness(True, {"status": "ok", "database": "ok", "revision": list(current)})
