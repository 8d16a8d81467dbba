"""A caseworker finds a child in the browser, on a phone and at a desk, with and without JavaScript."""

from __future__ import annotations

from typing import Any

import pytest

from broker.dev.browser import DESKTOP, PHONE

from .conftest import Visitor

pytestmark = pytest.mark.browser


def _caseworker(visitor_factory: Any, **options: Any) -> Visitor:
    visitor = visitor_factory(**options)
    visitor.sign_in("sen.caseworker")
    return visitor


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_find_by_name_and_date_of_birth(visitor_factory: Any, viewport: dict[str, int]) -> None:
    visitor = _caseworker(visitor_factory, viewport=viewport)
    visitor.goto("/")
    visitor.follow_menu("/children/find")
    page = visitor.page
    page.get_by_label("Name", exact=True).fill("Jordan")
    page.get_by_label("Day").fill("20")
    page.get_by_label("Month").fill("5")
    page.get_by_label("Year").fill("2009")
    visitor.click("button.govuk-button")
    assert page.inner_text("#results") == "1 child found"
    assert "Jordan Hughes" in page.inner_text("#results-list")
    if viewport is PHONE:
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_errors_take_focus_and_lead_to_the_field(visitor_factory: Any) -> None:
    visitor = _caseworker(visitor_factory)
    visitor.goto("/children/find")
    page = visitor.page
    page.get_by_label("NHS number or UPN").fill("not a number")
    visitor.click("button.govuk-button")
    page.wait_for_function("document.activeElement.classList.contains('govuk-error-summary')")
    page.click(".govuk-error-summary a")
    assert page.evaluate("document.activeElement.id") == "identifier"
    assert page.input_value("#identifier") == "not a number"


def test_find_by_identifier_without_javascript_on_a_phone(visitor_factory: Any) -> None:
    visitor = _caseworker(visitor_factory, java_script_enabled=False, viewport=PHONE)
    visitor.goto("/children/find")
    visitor.page.get_by_label("NHS number or UPN").fill("450 557 7104")
    visitor.click("button.govuk-button")
    assert "Leo Walsh" in visitor.page.inner_text("#results-list")


def test_signed_out_visitors_are_asked_to_sign_in(visitor: Visitor) -> None:
    visitor.goto("/children/find")
    assert visitor.path == "/sign-in?next=%2Fchildren%2Ffind"
    # signing in brings them back to the page they asked for
    visitor.click("a[href^='/sign-in/development']")
    visitor.click("form:has(input[name='username'][value='sen.caseworker']) button")
    assert visitor.path == "/children/find"
