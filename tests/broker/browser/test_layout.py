"""The layout and public pages in a real browser: styled, accessible, usable at 320px and
without JavaScript, with no Content-Security-Policy refusal."""

from __future__ import annotations

from typing import Any

import pytest

from broker.dev.browser import DESKTOP, PHONE

from .conftest import Visitor

pytestmark = pytest.mark.browser

PUBLIC_PAGES = ["/", "/privacy", "/accessibility"]


@pytest.mark.parametrize("path", PUBLIC_PAGES)
@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_public_pages_are_styled_accessible_and_fit_the_screen(
    visitor_factory: Any, path: str, viewport: dict[str, int]
) -> None:
    visitor: Visitor = visitor_factory(viewport=viewport)
    response = visitor.goto(path)
    page = visitor.page
    assert response.status == 200
    # GOV.UK Frontend's stylesheet and fonts arrived and apply.
    assert "GDS Transport" in page.eval_on_selector("h1", "e => getComputedStyle(e).fontFamily")
    assert page.evaluate("document.fonts.check('bold 16px \"GDS Transport\"')")
    # Nothing is wider than the screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]


def test_scripts_run_under_the_policy(visitor: Visitor) -> None:
    visitor.goto("/")
    page = visitor.page
    # The inline snippet (allowed by its hash) and the module that starts the components both ran.
    assert page.evaluate("document.body.classList.contains('js-enabled')")
    assert page.evaluate("document.body.classList.contains('govuk-frontend-supported')")
    page.wait_for_selector("[data-govuk-skip-link-init]", state="attached")


def test_skip_link_is_first_and_moves_focus_to_the_content(visitor: Visitor) -> None:
    visitor.goto("/")
    page = visitor.page
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") == "Skip to main content"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main-content"


def test_pages_work_without_javascript(visitor_factory: Any) -> None:
    visitor: Visitor = visitor_factory(java_script_enabled=False, viewport=PHONE)
    visitor.goto("/")
    assert visitor.page.inner_text("h1").startswith("Share information")
    visitor.click("a[href='/privacy']")
    assert visitor.page.inner_text("h1") == "How we use your information"


def test_error_page_is_styled_and_gives_a_reference(visitor: Visitor) -> None:
    response = visitor.goto("/no-such-page")
    assert response.status == 404
    page = visitor.page
    assert page.inner_text("h1") == "Page not found"
    assert response.headers["x-request-id"] in page.inner_text("main")
    assert "GDS Transport" in page.eval_on_selector("h1", "e => getComputedStyle(e).fontFamily")
