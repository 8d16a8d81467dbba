"""How long the broker keeps a stored record item: rules per purpose and data category.

Pure rule evaluation, no database: the gather flow stores each item with its purpose, category,
case and retrieval time, and a daily ``broker retention apply`` (``broker.records.erasure``)
shreds or deletes what ``retention_deadline`` says has expired.

A rule matches a purpose and a data category, either of which may be ``*``; the most specific
rule wins (purpose and category, then purpose alone, then category alone, then ``*``/``*``).
An item's deadline is the earliest of:

* ``keep_months_after_case_closed`` calendar months after its case closes (none while it is open);
* ``max_months_after_retrieval`` months after it was fetched, when the rule sets such a cap, so
  an item never outlives its purpose because a case was never closed;
* ``withdrawal_grace`` after the permission it was held under was withdrawn, for an item held
  only under that permission (default: at once).

Settings: ``BROKER_RETENTION_RULES`` (a JSON list of rules) and ``BROKER_WITHDRAWAL_GRACE_DAYS``.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict, Field, field_validator

ANY = "*"
_CODE = re.compile(r"^(\*|[A-Z][A-Z0-9_]{1,63})$")


class RetentionRule(BaseModel):
    """Keep items of ``purpose`` and ``category`` (``*`` for any) this long."""

    model_config = ConfigDict(frozen=True)

    purpose: str = ANY
    category: str = ANY
    keep_months_after_case_closed: int = Field(ge=0, le=1200)
    max_months_after_retrieval: int | None = Field(default=None, ge=0, le=1200)
    why: str = ""

    @field_validator("purpose", "category")
    @classmethod
    def _code(cls, value: str) -> str:
        if not _CODE.match(value):
            raise ValueError(f"{value!r} is not a purpose or category code (or '*')")
        return value


def default_retention_rules() -> list[RetentionRule]:
    """The defaults: gathered bundles are kept until 12 months after the case closes."""
    return [
        RetentionRule(
            keep_months_after_case_closed=12,
            why="gathered bundles stay available for appeals and reviews for a year after the case closes",
        ),
        RetentionRule(
            purpose="FAMILY_OPTIONAL", keep_months_after_case_closed=0,
            why="optional sharing the family chose is kept no longer than the case it was for",
        ),
        RetentionRule(
            category="ID_CONTACT", keep_months_after_case_closed=0,
            why="contact details are copied only to run the case and go stale",
        ),
        RetentionRule(
            purpose="EHC_REQUEST_DECISION", keep_months_after_case_closed=12, max_months_after_retrieval=24,
            why="evidence for a decision to assess is not kept for years if no case follows",
        ),
    ]


def check_rules(rules: Iterable[RetentionRule]) -> None:
    """Refuse two rules for the same purpose and category, and a set without a ``*``/``*`` rule."""
    seen: set[tuple[str, str]] = set()
    for rule in rules:
        key = (rule.purpose, rule.category)
        if key in seen:
            raise ValueError(f"two retention rules for purpose {rule.purpose} and category {rule.category}")
        seen.add(key)
    if (ANY, ANY) not in seen:
        raise ValueError("the retention rules need a default rule for purpose '*' and category '*'")


def rule_for(purpose: str, category: str, rules: Sequence[RetentionRule]) -> RetentionRule:
    """The most specific rule for an item of ``purpose`` and ``category``."""
    by_key = {(r.purpose, r.category): r for r in rules}
    for key in ((purpose, category), (purpose, ANY), (ANY, category), (ANY, ANY)):
        if key in by_key:
            return by_key[key]
    raise ValueError("the retention rules have no default rule for purpose '*' and category '*'")


def add_months(moment: datetime, months: int) -> datetime:
    """``moment`` plus calendar months, the day clamped to the end of a shorter month."""
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def retention_deadline(
    purpose: str,
    category: str,
    *,
    rules: Sequence[RetentionRule],
    case_closed_at: datetime | None,
    retrieved_at: datetime | None = None,
    permission_withdrawn_at: datetime | None = None,
    withdrawal_grace: timedelta = timedelta(0),
) -> datetime | None:
    """When an item must be erased, or ``None`` while nothing yet sets a deadline.

    ``permission_withdrawn_at`` is for an item held only under a permission that was withdrawn;
    an item also held under another basis (the council's public task) passes ``None``.
    """
    for moment in (case_closed_at, retrieved_at, permission_withdrawn_at):
        if moment is not None and moment.tzinfo is None:
            raise ValueError("retention times must be timezone-aware")
    if withdrawal_grace < timedelta(0):
        raise ValueError("the withdrawal grace period cannot be negative")
    rule = rule_for(purpose, category, rules)
    deadlines: list[datetime] = []
    if case_closed_at is not None:
        deadlines.append(add_months(case_closed_at, rule.keep_months_after_case_closed))
    if rule.max_months_after_retrieval is not None and retrieved_at is not None:
        deadlines.append(add_months(retrieved_at, rule.max_months_after_retrieval))
    if permission_withdrawn_at is not None:
        deadlines.append(permission_withdrawn_at + withdrawal_grace)
    return min(deadlines) if deadlines else None


def has_expired(deadline: datetime | None, now: datetime) -> bool:
    """Whether an item with this deadline must be erased at ``now`` (the deadline itself included)."""
    return deadline is not None and now >= deadline
