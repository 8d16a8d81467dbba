"""The broker's one clock: now in UTC, and today's date where the council counts its statutory days.

Times are stored and compared as timezone-aware UTC; dates that the law counts in days (the 6-week
clock for advice, the 20-week clock for a plan, a break-glass review's due date) are the council's
local dates in England.  ``consent``, ``audit`` and ``adapters`` keep their own ``utcnow`` (they
import nothing from the broker); a test keeps the copies behaving alike.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

COUNCIL_TIMEZONE = ZoneInfo("Europe/London")


def utcnow() -> datetime:
    """Now, timezone-aware, in UTC."""
    return datetime.now(UTC)


def council_today() -> date:
    """Today's date in England, where the statutory days are counted."""
    return datetime.now(COUNCIL_TIMEZONE).date()


def council_date(instant: datetime) -> date:
    """The council's local date at ``instant`` (an aware datetime)."""
    return instant.astimezone(COUNCIL_TIMEZONE).date()
