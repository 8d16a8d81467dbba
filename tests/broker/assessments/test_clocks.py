"""The statutory clocks, computed from dates alone: boundaries, completion, pauses and excuses."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from broker.assessments.clocks import (
    EXCEPTION_CODES,
    ClockKind,
    ClockStatus,
    ExceptionEffect,
    RecordedException,
    annual_review_deadlines,
    compute_clock,
    exception_applies,
    phase_transfer_review_deadline,
    school_year_group,
)

DAY0 = date(2026, 9, 7)  # a Monday


def pause(code: str, starts: date, ends: date | None = None) -> RecordedException:
    return RecordedException(code, ExceptionEffect.pause, starts, ends)


def excuse(code: str, starts: date) -> RecordedException:
    return RecordedException(code, ExceptionEffect.excuse, starts)


@pytest.mark.parametrize(("kind", "weeks"), [
    (ClockKind.decision_to_assess, 6), (ClockKind.advice, 6), (ClockKind.notice_of_no_plan, 16), (ClockKind.final_plan, 20),
])
def test_due_dates_are_the_statutory_weeks_after_day_0(kind: ClockKind, weeks: int) -> None:
    state = compute_clock(kind, DAY0, DAY0)
    assert state.statutory_due_on == state.due_on == DAY0 + timedelta(days=7 * weeks)
    assert state.status is ClockStatus.running and state.days_remaining == 7 * weeks


def test_on_the_due_date_the_clock_is_still_in_time_and_the_day_after_it_is_overdue() -> None:
    due = date(2026, 10, 19)
    assert compute_clock(ClockKind.decision_to_assess, DAY0, due - timedelta(days=1)).days_remaining == 1
    on_due = compute_clock(ClockKind.decision_to_assess, DAY0, due)
    assert (on_due.status, on_due.days_remaining, on_due.days_overdue) == (ClockStatus.running, 0, None)
    after = compute_clock(ClockKind.decision_to_assess, DAY0, due + timedelta(days=1))
    assert (after.status, after.days_remaining, after.days_overdue) == (ClockStatus.overdue, None, 1)


def test_twenty_weeks_crosses_the_new_year_and_a_leap_day() -> None:
    assert compute_clock(ClockKind.final_plan, date(2027, 10, 20), date(2027, 10, 20)).due_on == date(2028, 3, 8)
    assert compute_clock(ClockKind.final_plan, date(2026, 12, 1), date(2026, 12, 1)).due_on == date(2027, 4, 20)


def test_completion_on_the_due_date_is_met_and_a_day_later_is_late() -> None:
    due = DAY0 + timedelta(weeks=6)
    met = compute_clock(ClockKind.advice, DAY0, due + timedelta(days=30), completed_on=due)
    assert met.status is ClockStatus.met and met.completed_on == due
    late = compute_clock(ClockKind.advice, DAY0, due + timedelta(days=30), completed_on=due + timedelta(days=1))
    assert (late.status, late.days_overdue) == (ClockStatus.late, 1)


def test_a_finished_pause_adds_its_days_to_the_due_date() -> None:
    state = compute_clock(
        ClockKind.advice, DAY0, date(2026, 10, 30),
        exceptions=[pause("reg8_2_c", date(2026, 9, 14), date(2026, 9, 21))],
    )
    assert state.statutory_due_on == date(2026, 10, 19)
    assert state.due_on == date(2026, 10, 26)
    assert (state.status, state.days_overdue, state.exception_codes) == (ClockStatus.overdue, 4, ("reg8_2_c",))


def test_a_running_pause_holds_the_days_remaining_and_shows_paused() -> None:
    exceptions = [pause("reg8_2_b", date(2026, 9, 21))]
    day_one = compute_clock(ClockKind.advice, DAY0, date(2026, 9, 22), exceptions=exceptions)
    week_later = compute_clock(ClockKind.advice, DAY0, date(2026, 9, 29), exceptions=exceptions)
    assert day_one.status is week_later.status is ClockStatus.paused
    assert day_one.days_remaining == week_later.days_remaining == 28
    assert week_later.due_on == day_one.due_on + timedelta(days=7)
    assert week_later.exception_codes == ("reg8_2_b",)


def test_a_pause_that_ends_in_the_future_is_still_running() -> None:
    state = compute_clock(ClockKind.advice, DAY0, date(2026, 9, 24),
                          exceptions=[pause("reg8_2_b", date(2026, 9, 21), date(2026, 10, 5))])
    assert state.status is ClockStatus.paused and state.days_remaining == 28


def test_a_pause_begun_after_the_clock_was_overdue_does_not_rescue_it() -> None:
    state = compute_clock(ClockKind.decision_to_assess, DAY0, date(2026, 11, 2),
                          exceptions=[pause("reg5_4_b", date(2026, 10, 26), date(2026, 10, 30))])
    assert state.due_on == state.statutory_due_on
    assert state.status is ClockStatus.overdue and state.exception_codes == ("reg5_4_b",)


def test_a_pause_recorded_after_completion_does_not_count() -> None:
    state = compute_clock(ClockKind.advice, DAY0, date(2026, 12, 1), completed_on=date(2026, 10, 1),
                          exceptions=[pause("reg8_2_a", date(2026, 10, 5), date(2026, 10, 20))])
    assert state.status is ClockStatus.met and state.due_on == state.statutory_due_on


def test_two_pauses_add_up() -> None:
    state = compute_clock(ClockKind.final_plan, DAY0, DAY0 + timedelta(days=10), exceptions=[
        pause("reg10_4_c", DAY0 + timedelta(days=1), DAY0 + timedelta(days=3)),
        pause("reg10_4_d", DAY0 + timedelta(days=5), DAY0 + timedelta(days=8)),
    ])
    assert state.due_on == state.statutory_due_on + timedelta(days=5)
    assert state.exception_codes == ("reg10_4_c", "reg10_4_d")


def test_an_excuse_shows_excused_with_its_code_and_keeps_the_due_date() -> None:
    state = compute_clock(ClockKind.final_plan, DAY0, date(2027, 3, 1), exceptions=[excuse("reg10_4_b", date(2026, 12, 1))])
    assert state.status is ClockStatus.excused
    assert state.due_on == date(2027, 1, 25) and state.days_overdue is None
    assert state.exception_codes == ("reg10_4_b",)


def test_an_excuse_dated_after_today_does_not_apply_yet() -> None:
    state = compute_clock(ClockKind.final_plan, DAY0, date(2026, 10, 1), exceptions=[excuse("reg10_4_b", date(2026, 10, 2))])
    assert state.status is ClockStatus.running


def test_late_completion_under_an_excuse_is_excused_and_on_time_completion_is_met() -> None:
    late = compute_clock(ClockKind.final_plan, DAY0, date(2027, 3, 1), completed_on=date(2027, 2, 1),
                         exceptions=[excuse("reg10_4_b", date(2026, 12, 1))])
    assert (late.status, late.days_overdue) == (ClockStatus.excused, 7)
    early = compute_clock(ClockKind.final_plan, DAY0, date(2027, 3, 1), completed_on=date(2027, 1, 4),
                          exceptions=[excuse("reg10_4_b", date(2026, 12, 1))])
    assert early.status is ClockStatus.met


def test_a_clock_that_does_not_apply_says_so() -> None:
    state = compute_clock(ClockKind.notice_of_no_plan, DAY0, date(2027, 6, 1), applicable=False)
    assert state.status is ClockStatus.not_applicable and state.days_overdue is None


def test_exception_codes_apply_only_to_their_own_clocks() -> None:
    assert exception_applies("reg8_2_a", ClockKind.advice)
    assert not exception_applies("reg8_2_a", ClockKind.final_plan)
    assert exception_applies("reg10_4_a", ClockKind.final_plan) and exception_applies("reg10_4_a", ClockKind.notice_of_no_plan)
    assert exception_applies("reg5_4_c", ClockKind.decision_to_assess)
    assert not exception_applies("reg5_4_c", ClockKind.advice)
    assert not exception_applies("made_up", ClockKind.advice)
    assert all(code.startswith("reg") and entry.clocks for code, entry in EXCEPTION_CODES.items())


def test_annual_review_deadlines_after_the_meeting() -> None:
    deadlines = annual_review_deadlines(date(2026, 11, 30))
    assert deadlines.report_by == date(2026, 12, 14)
    assert deadlines.decision_by == date(2026, 12, 28)
    assert deadlines.final_amended_plan_by == date(2027, 2, 22)


def test_phase_transfer_reviews_finish_by_15_february_or_31_march_for_post_16() -> None:
    assert phase_transfer_review_deadline(2027) == date(2027, 2, 15)
    assert phase_transfer_review_deadline(2027, to_post_16=True) == date(2027, 3, 31)


@pytest.mark.parametrize(("born", "on", "year"), [
    (date(2013, 8, 31), date(2026, 9, 1), 9),    # 13 on 31 August: year 9
    (date(2013, 9, 1), date(2026, 9, 1), 8),     # a day younger: year 8
    (date(2013, 9, 1), date(2027, 8, 31), 8),    # still year 8 on the last day of the school year
    (date(2013, 9, 1), date(2027, 9, 1), 9),
    (date(2016, 3, 14), date(2026, 11, 22), 6),
    (date(2021, 8, 31), date(2026, 1, 5), 0),    # reception
])
def test_school_year_group(born: date, on: date, year: int) -> None:
    assert school_year_group(born, on) == year
