"""A parent reads a long history in the browser, on a phone and on a desktop: the newest first,
"Older" and "Newer" links to every page down to the oldest, each page checked with axe-core."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from broker.accounts.models import User
from broker.audit_trail import auditing, catalogue
from broker.auth.principal import Principal, Role
from broker.dev.browser import DESKTOP, PHONE
from broker.dev.demo import demo_id

pytestmark = pytest.mark.browser

AMELIA = demo_id("person:amelia")
CATEGORIES = ("EDU_ATTENDANCE", "HEALTH_ADVICE", "EP_ADVICE")


def _thousand_disclosures(app: Any) -> None:
    """A thousand disclosures to the SEN team, built and written as the gather writes them."""
    with app.state.database.unit_of_work() as session:
        user = session.get(User, demo_id("user:sen.caseworker"))
        assert user is not None
        caseworker = Principal(user_id=user.id, username=user.username, display_name=user.display_name,
                               role=Role.caseworker, organisation_id=user.organisation_id)
        auditing.record_many(session, [catalogue.records_disclosed(
            caseworker, subject_id=AMELIA, purpose="EHC_NEEDS_ASSESSMENT", case_reference=None,
            source_system="educational_psychology", holder=demo_id("org:NCC-EPS"), recipient=demo_id("org:NCC-SEN"),
            assessment_id=None, categories=[CATEGORIES[n % len(CATEGORIES)]],
            items=[{"id": str(uuid.uuid4()), "content_hash": f"{n:064d}", "new": True, "basis": "permission"}],
        ) for n in range(1_000)])


def test_a_parent_pages_from_the_newest_access_to_the_oldest(visitor_factory: Any, live_app: tuple[Any, str]) -> None:
    _thousand_disclosures(live_app[0])
    for viewport in (PHONE, DESKTOP):
        visitor = visitor_factory(viewport=viewport)
        page = visitor.page
        visitor.sign_in("sarah.clarke")
        visitor.goto(f"/family/{AMELIA}/access")
        first = page.locator("#access-history li").first.inner_text()
        assert "Received school attendance, suspensions and exclusions" in first  # the 1,000th, the newest
        assert "By a caseworker at Northshire SEN team" in first and "sen.caseworker" not in first
        assert page.locator("a[rel='prev']").count() == 0
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
        pages = 1
        while page.locator("a[rel='next']").count():
            visitor.click("a[rel='next']")
            pages += 1
        assert pages >= 20
        last = page.locator("#access-history li").last.inner_text()
        assert "Gave permission to share" in last and "By you" in last
        visitor.click("a[rel='prev']")
        assert page.locator("a[rel='next']").count() == 1
