"""The end of compulsory school age: the last Friday of June in the school year in which the child
turns 16 (Education Act 1996 s.8(3)); the young person decides from the next day (Children and
Families Act 2014 s.80)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from consent.schooling import end_of_compulsory_school_age, young_person_from, young_person_on


@pytest.mark.parametrize(("born", "ends"), [
    (date(2010, 3, 15), date(2026, 6, 26)),   # turns 16 in March 2026: school year 2025-26
    (date(2010, 8, 31), date(2026, 6, 26)),   # the youngest of that school year
    (date(2010, 9, 1), date(2027, 6, 25)),    # the oldest of the next school year
    (date(2011, 6, 30), date(2027, 6, 25)),   # turns 16 after the last Friday of June, still that year
])
def test_compulsory_school_age_ends_on_the_last_friday_of_june_of_the_school_year_the_child_turns_16(born, ends):
    assert end_of_compulsory_school_age(born) == ends
    assert ends.weekday() == 4 and ends.month == 6 and (ends.day + 7) > 30


def test_the_young_person_decides_from_the_day_after():
    born = date(2010, 3, 15)
    assert young_person_on(born) == date(2026, 6, 27)
    # Midnight in England at the end of Friday 26 June 2026 (British Summer Time).
    assert young_person_from(born) == datetime(2026, 6, 26, 23, 0, tzinfo=UTC)
