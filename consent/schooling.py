"""The end of compulsory school age: when decisions pass from parents to the young person."""

from __future__ import annotations

from datetime import date, timedelta

FRIDAY = 4


def end_of_compulsory_school_age(date_of_birth: date) -> date:
    """The last Friday of June in the school year (1 September to 31 August) in which the child turns 16."""
    year = date_of_birth.year + 16
    if date_of_birth.month >= 9:
        year += 1
    last_day = date(year, 6, 30)
    return last_day - timedelta(days=(last_day.weekday() - FRIDAY) % 7)
