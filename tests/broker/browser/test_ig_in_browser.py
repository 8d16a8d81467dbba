"""An information governance auditor finds a break-glass access in the browser and reviews it."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import select

from broker.accounts.models import User
from broker.dev.browser import PHONE
from broker.dev.demo import demo_id
from broker.dev.identity_keys import issue_dev_token

pytestmark = pytest.mark.browser


def _open_break_glass(live_app: tuple[Any, str], subject: str) -> str:
    """A safeguarding lead breaks the glass through the API, as they would from their own system."""
    app, base_url = live_app
    with app.state.database.sessions() as session:
        lead = session.scalars(select(User).where(User.username == "safeguarding.lead")).one()
        token = issue_dev_token(app.state.settings, lead)
    response = httpx.post(f"{base_url}/api/v1/break-glass", headers={"Authorization": f"Bearer {token}"}, json={
        "subject_id": str(demo_id("person:" + subject)), "reason_code": "child_missing",
        "reason_text": "Reported missing from school this morning; police asked for the latest plan."})
    assert response.status_code == 201, response.text
    return response.json()["id"]


def test_an_auditor_finds_and_reviews_a_break_glass_access(visitor_factory: Any, live_app: tuple[Any, str]) -> None:
    access_id = _open_break_glass(live_app, "oliver")
    visitor = visitor_factory(viewport=PHONE, java_script_enabled=False)
    visitor.sign_in("ig.auditor")
    visitor.goto("/")
    visitor.follow_menu("/ig/audit")
    page = visitor.page
    page.get_by_label("Event type").fill("break_glass.opened")
    visitor.click("button.govuk-button")
    assert "break_glass.opened" in page.inner_text("#entries")
    visitor.click("#entries a")
    assert "Audit entry" in page.inner_text("h1")
    visitor.goto("/ig/break-glass")
    assert "Oliver" in page.inner_text("#pending")
    visitor.click(f"a[href='/ig/break-glass/{access_id}']")
    visitor.click("button.govuk-button")
    assert "There is a problem" in page.inner_text(".govuk-error-summary")
    page.get_by_label("Referred (for example to the Caldicott guardian)").check()
    page.get_by_label("Notes").fill("Referred to the Caldicott guardian: the plan was read twice.")
    page.locator("#family_may_be_told-2").check()
    page.get_by_label("If not, why would telling them put the child at risk?").fill(
        "A police investigation is open; telling the family now could put the child at risk.")
    visitor.click("button.govuk-button")
    assert "Review recorded" in page.inner_text(".govuk-notification-banner")
    assert "Referred" in page.inner_text("main")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    visitor.goto("/ig/integrity")
    visitor.click("form[action='/ig/integrity'] button")
    assert "Passed" in page.inner_text("#result")
    visitor.goto("/ig/reports")
    assert visitor.problems == []
