"""The statutory clocks of an EHC needs assessment, computed from dates alone (no database).

Day 0 is the day the council received the request (SEND Regulations 2014). Each clock's due date
is its start plus the statutory number of weeks; on the due date itself the clock is still in
time (0 days remaining), the day after it is one day overdue.

Exceptions (reg 5(4), reg 8(2), reg 10(4)) never change a clock silently: each is recorded with
its code and is either a *pause* (the days between its start and end are added to the due date,
as long as it began before the clock was already overdue) or an *excuse* (the time limit no longer
applies; the clock shows the due date it would have had and the code that excuses it).
The exception lists follow the regulations as made; they are to be checked against the text in
force, so they live in one table here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum


class ClockKind(StrEnum):
    decision_to_assess = "decision_to_assess"
    advice = "advice"
    notice_of_no_plan = "notice_of_no_plan"
    final_plan = "final_plan"


class ClockStatus(StrEnum):
    running = "running"
    overdue = "overdue"
    paused = "paused"
    excused = "excused"
    met = "met"
    late = "late"
    not_applicable = "not_applicable"


class ExceptionEffect(StrEnum):
    pause = "pause"
    excuse = "excuse"


@dataclass(frozen=True)
class ClockRule:
    label: str
    regulation: str
    weeks: int
    exception_regulation: str


CLOCK_RULES: dict[ClockKind, ClockRule] = {
    ClockKind.decision_to_assess: ClockRule("Decision whether to assess", "reg 4-5", 6, "reg 5(4)"),
    ClockKind.advice: ClockRule("Advice requested under reg 6", "reg 8(1)", 6, "reg 8(2)"),
    ClockKind.notice_of_no_plan: ClockRule("Notice that no plan will be issued", "reg 10(1)", 16, "reg 10(4)"),
    ClockKind.final_plan: ClockRule("Final EHC plan issued", "reg 13(2)", 20, "reg 10(4)"),
}


@dataclass(frozen=True)
class ExceptionCode:
    code: str
    regulation: str
    description: str
    clocks: frozenset[ClockKind]


_PLAN_CLOCKS = frozenset({ClockKind.notice_of_no_plan, ClockKind.final_plan})

EXCEPTION_CODES: dict[str, ExceptionCode] = {
    c.code: c
    for c in [
        ExceptionCode("reg5_4_a", "reg 5(4)(a)", "Advice was asked of a school in the week before it closed for 4 weeks or more",
                      frozenset({ClockKind.decision_to_assess})),
        ExceptionCode("reg5_4_b", "reg 5(4)(b)", "Exceptional personal circumstances of the child, parent or young person",
                      frozenset({ClockKind.decision_to_assess})),
        ExceptionCode("reg5_4_c", "reg 5(4)(c)", "The child, parent or young person was away from the area for 4 weeks or more",
                      frozenset({ClockKind.decision_to_assess})),
        ExceptionCode("reg8_2_a", "reg 8(2)(a)", "Exceptional personal circumstances of the child, parent or young person",
                      frozenset({ClockKind.advice})),
        ExceptionCode("reg8_2_b", "reg 8(2)(b)", "The child, parent or young person was away from the area for 4 weeks or more",
                      frozenset({ClockKind.advice})),
        ExceptionCode("reg8_2_c", "reg 8(2)(c)", "An appointment for an examination or test was missed in the 6 weeks",
                      frozenset({ClockKind.advice})),
        ExceptionCode("reg10_4_a", "reg 10(4)(a)", "Advice was asked of a school in the week before it closed for 4 weeks or more",
                      _PLAN_CLOCKS),
        ExceptionCode("reg10_4_b", "reg 10(4)(b)", "Exceptional personal circumstances of the child, parent or young person",
                      _PLAN_CLOCKS),
        ExceptionCode("reg10_4_c", "reg 10(4)(c)", "The child, parent or young person was away from the area for 4 weeks or more",
                      _PLAN_CLOCKS),
        ExceptionCode("reg10_4_d", "reg 10(4)(d)", "An appointment for an examination or test was missed",
                      _PLAN_CLOCKS),
    ]
}


@dataclass(frozen=True)
class RecordedException:
    """An exception as recorded against one clock: a pause from ``starts_on`` to ``ends_on``
    (``None`` while it lasts), or an excuse from ``starts_on``."""

    code: str
    effect: ExceptionEffect
    starts_on: date
    ends_on: date | None = None


@dataclass(frozen=True)
class ClockState:
    kind: ClockKind
    label: str
    regulation: str
    started_on: date
    statutory_due_on: date
    due_on: date
    status: ClockStatus
    completed_on: date | None = None
    days_remaining: int | None = None
    days_overdue: int | None = None
    exception_codes: tuple[str, ...] = field(default_factory=tuple)


def exception_applies(code: str, kind: ClockKind) -> bool:
    """Whether the exception ``code`` is one the regulations allow for a clock of ``kind``."""
    entry = EXCEPTION_CODES.get(code)
    return entry is not None and kind in entry.clocks


def compute_clock(
    kind: ClockKind,
    started_on: date,
    today: date,
    *,
    exceptions: Iterable[RecordedException] = (),
    completed_on: date | None = None,
    applicable: bool = True,
) -> ClockState:
    """The state of one clock on ``today``.

    Pauses are applied in the order they began; a pause that begins after the (so far extended)
    due date has no effect, because a clock that is already overdue cannot be paused back into
    time. A pause still running on ``today`` counts up to ``today``, so the days remaining stay
    the same while it lasts. An excuse in force on ``today`` (or by the completion date) makes the
    clock ``excused`` unless the step was completed in time anyway.
    """
    rule = CLOCK_RULES[kind]
    statutory_due = started_on + timedelta(weeks=rule.weeks)
    recorded = sorted(exceptions, key=lambda e: (e.starts_on, e.code))
    codes = tuple(e.code for e in recorded)
    if not applicable:
        return ClockState(kind, rule.label, rule.regulation, started_on, statutory_due, statutory_due,
                          ClockStatus.not_applicable, completed_on, exception_codes=codes)

    stop = completed_on if completed_on is not None else today
    due = statutory_due
    pause_running = False
    excused = False
    for exception in recorded:
        if exception.starts_on > stop:
            continue
        if exception.effect is ExceptionEffect.excuse:
            excused = True
            continue
        if exception.starts_on > due:
            continue
        end = exception.ends_on if exception.ends_on is not None and exception.ends_on <= stop else stop
        if exception.ends_on is None or exception.ends_on > stop:
            pause_running = completed_on is None
        due += timedelta(days=max(0, (end - max(exception.starts_on, started_on)).days))

    def state(status: ClockStatus, remaining: int | None = None, overdue: int | None = None) -> ClockState:
        return ClockState(kind, rule.label, rule.regulation, started_on, statutory_due, due, status,
                          completed_on, remaining, overdue, codes)

    if completed_on is not None:
        if completed_on <= due:
            return state(ClockStatus.met)
        return state(ClockStatus.excused if excused else ClockStatus.late, overdue=(completed_on - due).days)
    if excused:
        return state(ClockStatus.excused)
    if pause_running:
        return state(ClockStatus.paused, remaining=max(0, (due - today).days))
    if today <= due:
        return state(ClockStatus.running, remaining=(due - today).days)
    return state(ClockStatus.overdue, overdue=(today - due).days)


# Annual reviews and phase transfers (reg 18-22): plain dates, for planning.

@dataclass(frozen=True)
class AnnualReviewDeadlines:
    report_by: date
    decision_by: date
    final_amended_plan_by: date


def annual_review_deadlines(meeting_on: date) -> AnnualReviewDeadlines:
    """After an annual review meeting: the report within 2 weeks, the council's decision within 4
    weeks, and a final amended plan within 12 weeks."""
    return AnnualReviewDeadlines(
        report_by=meeting_on + timedelta(weeks=2),
        decision_by=meeting_on + timedelta(weeks=4),
        final_amended_plan_by=meeting_on + timedelta(weeks=12),
    )


def phase_transfer_review_deadline(transfer_year: int, *, to_post_16: bool = False) -> date:
    """The review for a move between phases starting in September of ``transfer_year`` must be
    finished by 15 February of that year (31 March for the move to a post-16 institution)."""
    return date(transfer_year, 3, 31) if to_post_16 else date(transfer_year, 2, 15)


def school_year_group(date_of_birth: date, on: date) -> int:
    """The National Curriculum year group on ``on``: reception is 0, year 1 is 1 and so on.

    A child is in year N in the school year (1 September to 31 August) that begins when they are
    N + 4 years old on the 31 August before it.
    """
    school_year_start = on.year if on.month >= 9 else on.year - 1
    cutoff = date(school_year_start, 8, 31)
    age = cutoff.year - date_of_birth.year - ((cutoff.month, cutoff.day) < (date_of_birth.month, date_of_birth.day))
    return age - 4
