"""The end of compulsory school age: when decisions pass from parents to the young person."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

FRIDAY = 4


def end_of_compulsory_school_age(date_of_birth: date) -> date:
    """The last Friday of June in the school year (1 September to 31 August) in which the child turns 16."""
    year = date_of_birth.year + 16
    if date_of_birth.month >= 9:
        year += 1
    last_day = date(year, 6, 30)
    return last_day - timedelta(days=(last_day.weekday() - FRIDAY) % 7)


LONDON = ZoneInfo("Europe/London")


def local_date(at: datetime) -> date:
    """The calendar date in England at the instant ``at``: the date the law's age rules use."""
    return at.astimezone(LONDON).date()


def young_person_on(date_of_birth: date) -> date:
    """The first day the young person decides: the day after the end of compulsory school age
    (compulsory school age ends at the end of that Friday)."""
    return end_of_compulsory_school_age(date_of_birth) + timedelta(days=1)


def young_person_from(date_of_birth: date) -> datetime:
    """The instant (UTC) the young person starts to decide: midnight in England at the end of the
    last day of compulsory school age."""
    return datetime.combine(young_person_on(date_of_birth), time(0), tzinfo=LONDON).astimezone(UTC)
