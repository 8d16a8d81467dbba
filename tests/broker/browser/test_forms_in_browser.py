"""The form toolkit in a browser: the error summary takes focus and links to each field; without
JavaScript the same errors show; a valid form goes through with its token."""

from __future__ import annotations

from typing import Any

import pytest

from broker.dev.browser import PHONE

from .conftest import Visitor

pytestmark = pytest.mark.browser


def fill(page: Any, fields: dict[str, str]) -> None:
    for selector, value in fields.items():
        page.fill(selector, value)


def test_errors_are_summarised_focused_and_linked(visitor: Visitor) -> None:
    visitor.goto("/example")
    page = visitor.page
    fill(page, {"#dob-day": "31", "#dob-month": "2", "#dob-year": "2016"})
    visitor.click("button.govuk-button")
    assert page.title().startswith("Error: ")
    summary = page.locator(".govuk-error-summary")
    assert summary.is_visible()
    # GOV.UK Frontend moves focus to the summary so that screen readers announce it.
    page.wait_for_function("document.activeElement.classList.contains('govuk-error-summary')")
    assert summary.locator("a").all_inner_texts() == ["Enter the child's name", "Date of birth must be a real date"]
    page.click(".govuk-error-summary a[href='#dob-day']")
    assert page.evaluate("document.activeElement.id") == "dob-day"
    assert page.input_value("#dob-day") == "31"
    assert "Error:" in page.inner_text("#dob-error")


def test_a_valid_form_is_accepted(visitor: Visitor) -> None:
    visitor.goto("/example")
    page = visitor.page
    fill(page, {"#name": "Oliver Bennett", "#dob-day": "2", "#dob-month": "11", "#dob-year": "2015"})
    visitor.click("button.govuk-button")
    assert visitor.path == "/"


def test_errors_show_without_javascript_on_a_phone(visitor_factory: Any) -> None:
    visitor: Visitor = visitor_factory(java_script_enabled=False, viewport=PHONE)
    visitor.goto("/example")
    visitor.click("button.govuk-button")
    page = visitor.page
    assert page.locator(".govuk-error-summary").is_visible()
    assert page.locator("#name-error").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
