"""``consent``, ``audit`` and ``adapters`` may not import each other, so each keeps its own copy of
the clock and the model kit (naming convention, UTC datetime column, ``utcnow``); the broker has its
one clock.  These tests keep the copies behaving alike, and the two vocabularies of data
categories (the adapters' enum and the consent registry's) equal."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

import adapters.models
import adapters.protocol
import audit.models
import consent.models
from adapters.protocol import DataCategory
from broker.platform import clock
from consent.vocabulary import DATA_CATEGORIES

CLOCKS = [consent.models.utcnow, audit.models.utcnow, adapters.protocol.utcnow, adapters.models.utcnow, clock.utcnow]
KITS = [consent.models, audit.models, adapters.models]


@pytest.mark.parametrize("utcnow", CLOCKS, ids=lambda f: f.__module__)
def test_every_utcnow_is_now_aware_in_utc(utcnow):
    before = datetime.now(UTC)
    now = utcnow()
    after = datetime.now(UTC)
    assert now.tzinfo is UTC
    assert before <= now <= after


def test_the_council_day_is_counted_in_england():
    midnight_bst = datetime(2026, 6, 30, 23, 30, tzinfo=UTC)  # 00:30 on 1 July in London
    assert clock.council_date(midnight_bst).isoformat() == "2026-07-01"
    winter = datetime(2026, 1, 31, 23, 30, tzinfo=UTC)  # GMT: still 31 January
    assert clock.council_date(winter).isoformat() == "2026-01-31"
    assert clock.council_today() == clock.council_date(clock.utcnow())


@pytest.mark.parametrize("kit", KITS[1:], ids=lambda m: m.__name__)
def test_every_model_kit_names_constraints_alike(kit):
    assert kit.NAMING_CONVENTION == consent.models.NAMING_CONVENTION
    assert kit.Base.metadata.naming_convention == consent.models.Base.metadata.naming_convention


@pytest.mark.parametrize("kit", KITS, ids=lambda m: m.__name__)
def test_every_model_kit_stores_aware_utc_datetimes_only(kit):
    column = kit.UTCDateTime()
    paris = datetime(2026, 3, 1, 12, 0, tzinfo=timezone(timedelta(hours=1)))
    assert column.process_bind_param(paris, None) == datetime(2026, 3, 1, 11, 0, tzinfo=UTC)
    assert column.process_bind_param(paris, None).tzinfo is UTC
    with pytest.raises(ValueError):
        column.process_bind_param(datetime(2026, 3, 1, 12, 0), None)
    assert column.process_result_value(datetime(2026, 3, 1, 12, 0), None) == datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    assert column.process_bind_param(None, None) is None
    assert column.process_result_value(None, None) is None


def test_the_adapters_categories_are_the_consent_vocabulary():
    assert [category.value for category in DataCategory] == list(DATA_CATEGORIES)


def test_the_adapters_tiers_are_the_consent_vocabulary_tiers():
    assert {c.value: int(c.tier) for c in DataCategory} == {code: c.tier for code, c in DATA_CATEGORIES.items()}
