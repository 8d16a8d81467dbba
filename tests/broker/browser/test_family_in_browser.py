"""Families in the browser: a parent approves part of a request, a parent withdraws a permission,
a young person sees his own pages; on a phone and without JavaScript."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from broker.dev.browser import PHONE

from .conftest import Visitor

pytestmark = pytest.mark.browser


def _family(visitor_factory: Any, username: str, **options: Any) -> Visitor:
    visitor = visitor_factory(**options)
    visitor.sign_in(username)
    visitor.goto("/")
    visitor.follow_menu("/family")
    return visitor


def test_a_parent_approves_part_of_a_request_on_a_phone(visitor_factory: Any) -> None:
    visitor = _family(visitor_factory, "priya.bennett", viewport=PHONE)
    page = visitor.page
    assert "1 request waiting for your answer" in page.inner_text("#children")
    visitor.click("#children a[href$='/requests']")
    visitor.click("#requests a")
    assert "educational psychology reports and advice" in page.inner_text("main")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.get_by_label("Yes, to part of it").check()
    page.get_by_label("For how many days?").fill("30")
    visitor.click("button.govuk-button")
    assert "Your answer has been sent" in page.inner_text("main")
    href = page.get_attribute("#receipt", "href")
    assert href
    receipt = page.request.get(visitor.base_url + href)
    assert receipt.ok
    body = json.loads(receipt.text())["receipt"]
    (service,) = body["services"]
    (purpose,) = service["purposes"]
    assert purpose["piiCategoryCodes"] == ["EP_ADVICE"]
    assert purpose["purposeCategory"] == ["EHC_NEEDS_ASSESSMENT"]
    assert len(purpose["thirdPartyName"]) == 1 and "psycholog" in purpose["thirdPartyName"][0].lower()
    until = datetime.fromisoformat(purpose["termination"].split(" ")[1].rstrip(","))
    assert timedelta(days=29) < until - datetime.now(timezone.utc) <= timedelta(days=30)
    visitor.follow_menu("/family")
    assert "0 requests waiting for your answer" in page.inner_text("#children")


def test_a_parent_withdraws_a_permission_without_javascript(visitor_factory: Any) -> None:
    visitor = _family(visitor_factory, "sarah.clarke", java_script_enabled=False, viewport=PHONE)
    page = visitor.page
    visitor.click("#children a[href$='/permissions']")
    in_force = page.locator("#permissions li", has_text="In force").first
    visitor.click(f"#{in_force.get_attribute('id')} a.govuk-button--warning")
    assert "Are you sure" in page.inner_text("h1")
    visitor.click("button.govuk-button--warning")
    assert "The permission has been withdrawn" in page.inner_text("main")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    visitor.click("a[href$='/access']")
    first = page.locator("#access-history li").first.inner_text()
    assert "Withdrew the permission to share" in first and "By you" in first


def test_a_young_person_sees_his_own_pages(visitor_factory: Any) -> None:
    visitor = _family(visitor_factory, "jordan.hughes")
    page = visitor.page
    assert "decisions about sharing your information are yours" in page.inner_text("#decisions-are-yours").lower()
    assert "Karen" not in page.inner_text("main")
    visitor.click("#children a[href$='/permissions']")
    assert page.inner_text("h1") == "Your permissions"
    assert "preparing for adulthood" in page.inner_text("#permissions")
    visitor.click("a[href$='/access']")
    assert page.inner_text("h1") == "Who has seen your information"
    visitor.click("a[href$='/requests']")
    assert "Nothing is waiting for your answer" in page.inner_text("main")
