"""A young person takes over at the end of compulsory school age: his mother's permission lapses,
the broker asks him afresh, he answers for himself, and his mother no longer decides for him."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from broker.accounts.models import User
from broker.auth.principal import Principal, Role
from broker.dev.browser import PHONE
from broker.dev.demo import demo_id
from broker.permissions import consent_actions
from consent.models import Person
from consent.schemas import ConsentCreate, ScopeRow
from consent.schooling import young_person_from
from consent.vocabulary import Basis

pytestmark = pytest.mark.browser

JORDAN = demo_id("person:jordan")


def _mother_gave_permission_then_he_turned_16(live_app: tuple[Any, str]) -> None:
    """Karen gave a permission while Jordan was 15; the daily transition then runs, as
    ``broker consent transition`` does."""
    app, base_url = live_app
    with app.state.database.unit_of_work() as session:
        karen = session.scalars(select(User).where(User.username == "karen.hughes")).one()
        mother = Principal(user_id=karen.id, username=karen.username, display_name=karen.display_name,
                           role=Role(karen.role), organisation_id=None, person_id=karen.person_id)
        takes_over = young_person_from(session.get(Person, JORDAN).date_of_birth)  # type: ignore[union-attr,arg-type]
        given = takes_over - timedelta(days=120)
        consent_actions.grant(session, mother, ConsentCreate(
            subject_id=JORDAN, basis=Basis.confidentiality,
            scope=[ScopeRow(data_category="EDU_ATTAINMENT", purpose="EHC_ANNUAL_REVIEW",
                            recipient_organisation_id=demo_id("org:NCC-SEN"),
                            holder_organisation_id=demo_id("org:SCH-HILLTOP"))],
            valid_until=datetime.now(UTC) + timedelta(days=200),
        ), given)
        assert consent_actions.transition(session, base_url)


def test_a_young_person_takes_over_at_16(visitor_factory: Any, live_app: tuple[Any, str]) -> None:
    _mother_gave_permission_then_he_turned_16(live_app)
    mother = visitor_factory()
    mother.sign_in("karen.hughes")
    mother.goto("/family")
    assert "Jordan" not in mother.page.inner_text("main")
    assert "There is nobody you can make decisions for" in mother.page.inner_text("main")

    jordan = visitor_factory(viewport=PHONE)
    jordan.sign_in("jordan.hughes")
    jordan.goto("/")
    jordan.follow_menu("/family")
    page = jordan.page
    assert "decisions about sharing your information are yours" in page.inner_text("#decisions-are-yours").lower()
    assert "1 request waiting for your answer" in page.inner_text("#children")
    jordan.click("#children a[href$='/requests']")
    assert page.inner_text("h1") == "Requests waiting for your answer"
    jordan.click("#requests a")
    assert "Hilltop Academy" in page.inner_text("main")
    page.get_by_label("Yes, to all of it").check()
    jordan.click("button.govuk-button:has-text('Send your answer')")
    assert "Your answer has been sent" in page.inner_text("main")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    jordan.follow_menu("/family")
    assert "0 requests waiting for your answer" in page.inner_text("#children")
    jordan.click("#children a[href$='/access']")
    history = page.inner_text("#access-history")
    assert "Ended a permission a parent gave, as the young person now makes these decisions" in history
    assert "your child" not in history
