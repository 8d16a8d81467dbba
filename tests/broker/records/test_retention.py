from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from broker.platform.settings import Settings
from broker.records.retention import (
    RetentionRule,
    add_months,
    check_rules,
    default_retention_rules,
    has_expired,
    retention_deadline,
    rule_for,
)

CLOSED = datetime(2026, 3, 31, 17, 0, tzinfo=UTC)
FETCHED = datetime(2025, 9, 1, 9, 0, tzinfo=UTC)
RULES = default_retention_rules()


def test_gathered_bundles_are_kept_until_twelve_months_after_the_case_closes() -> None:
    deadline = retention_deadline("EHC_NEEDS_ASSESSMENT", "EP_ADVICE", rules=RULES, case_closed_at=CLOSED, retrieved_at=FETCHED)
    assert deadline == datetime(2027, 3, 31, 17, 0, tzinfo=UTC)
    assert not has_expired(deadline, deadline - timedelta(seconds=1))
    assert has_expired(deadline, deadline)


def test_nothing_expires_while_the_case_is_open_unless_a_cap_applies() -> None:
    assert retention_deadline("EHC_NEEDS_ASSESSMENT", "EP_ADVICE", rules=RULES, case_closed_at=None, retrieved_at=FETCHED) is None
    assert not has_expired(None, datetime(2100, 1, 1, tzinfo=UTC))
    capped = retention_deadline("EHC_REQUEST_DECISION", "EDU_ATTAINMENT", rules=RULES, case_closed_at=None, retrieved_at=FETCHED)
    assert capped == datetime(2027, 9, 1, 9, 0, tzinfo=UTC)


def test_the_most_specific_rule_wins() -> None:
    rules = [
        RetentionRule(keep_months_after_case_closed=12),
        RetentionRule(purpose="SHORT_BREAKS", keep_months_after_case_closed=6),
        RetentionRule(category="SC_ASSESSMENT", keep_months_after_case_closed=24),
        RetentionRule(purpose="SHORT_BREAKS", category="SC_ASSESSMENT", keep_months_after_case_closed=3),
    ]
    assert rule_for("SHORT_BREAKS", "SC_ASSESSMENT", rules).keep_months_after_case_closed == 3
    assert rule_for("SHORT_BREAKS", "EP_ADVICE", rules).keep_months_after_case_closed == 6
    assert rule_for("EHC_ANNUAL_REVIEW", "SC_ASSESSMENT", rules).keep_months_after_case_closed == 24
    assert rule_for("EHC_ANNUAL_REVIEW", "EP_ADVICE", rules).keep_months_after_case_closed == 12


def test_optional_sharing_and_contact_details_go_when_the_case_closes() -> None:
    assert retention_deadline("FAMILY_OPTIONAL", "EP_ADVICE", rules=RULES, case_closed_at=CLOSED) == CLOSED
    assert retention_deadline("EHC_NEEDS_ASSESSMENT", "ID_CONTACT", rules=RULES, case_closed_at=CLOSED) == CLOSED


def test_withdrawal_shreds_items_held_only_under_it_at_once_or_after_the_grace_period() -> None:
    withdrawn = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)
    assert retention_deadline("EHC_NEEDS_ASSESSMENT", "EP_ADVICE", rules=RULES, case_closed_at=None,
                              permission_withdrawn_at=withdrawn) == withdrawn
    assert retention_deadline("EHC_NEEDS_ASSESSMENT", "EP_ADVICE", rules=RULES, case_closed_at=CLOSED,
                              permission_withdrawn_at=withdrawn, withdrawal_grace=timedelta(days=14)) == withdrawn + timedelta(days=14)
    # the earliest deadline wins: a case closed long ago is not extended by a later withdrawal
    assert retention_deadline("FAMILY_OPTIONAL", "EP_ADVICE", rules=RULES, case_closed_at=CLOSED,
                              permission_withdrawn_at=CLOSED + timedelta(days=3)) == CLOSED


def test_calendar_months_clamp_to_the_end_of_a_short_month() -> None:
    assert add_months(datetime(2026, 1, 31, tzinfo=UTC), 1) == datetime(2026, 2, 28, tzinfo=UTC)
    assert add_months(datetime(2027, 12, 31, tzinfo=UTC), 2) == datetime(2028, 2, 29, tzinfo=UTC)
    assert add_months(datetime(2026, 5, 15, tzinfo=UTC), 0) == datetime(2026, 5, 15, tzinfo=UTC)
    assert add_months(datetime(2026, 11, 30, tzinfo=UTC), 14) == datetime(2028, 1, 30, tzinfo=UTC)


def test_naive_times_and_negative_grace_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone"):
        retention_deadline("EHC_NEEDS_ASSESSMENT", "EP_ADVICE", rules=RULES, case_closed_at=datetime(2026, 1, 1))
    with pytest.raises(ValueError, match="negative"):
        retention_deadline("EHC_NEEDS_ASSESSMENT", "EP_ADVICE", rules=RULES, case_closed_at=CLOSED, withdrawal_grace=timedelta(days=-1))


def test_rules_need_a_default_and_no_duplicates() -> None:
    check_rules(RULES)
    with pytest.raises(ValueError, match="default rule"):
        check_rules([RetentionRule(purpose="SHORT_BREAKS", keep_months_after_case_closed=1)])
    with pytest.raises(ValueError, match="two retention rules"):
        check_rules([RetentionRule(keep_months_after_case_closed=1), RetentionRule(keep_months_after_case_closed=2)])
    with pytest.raises(ValueError, match="not a purpose"):
        RetentionRule(purpose="short breaks", keep_months_after_case_closed=1)


def test_rules_come_from_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings().retention_rules == RULES and Settings().withdrawal_grace_days == 0
    monkeypatch.setenv("BROKER_RETENTION_RULES", json.dumps([
        {"keep_months_after_case_closed": 6}, {"purpose": "SHORT_BREAKS", "keep_months_after_case_closed": 1},
    ]))
    monkeypatch.setenv("BROKER_WITHDRAWAL_GRACE_DAYS", "7")
    settings = Settings()
    assert settings.withdrawal_grace_days == 7
    assert retention_deadline("SHORT_BREAKS", "SC_PLAN", rules=settings.retention_rules, case_closed_at=CLOSED) == datetime(2026, 4, 30, 17, 0, tzinfo=UTC)
    monkeypatch.setenv("BROKER_RETENTION_RULES", json.dumps([{"purpose": "SHORT_BREAKS", "keep_months_after_case_closed": 1}]))
    with pytest.raises(ValueError, match="default rule"):
        Settings()
