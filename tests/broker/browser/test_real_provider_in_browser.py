"""Signing in and out in Chromium through a certified provider (oidc-provider, its standard
configuration and its own login, consent and sign-out pages), configured as the README says.

The provider's pages are not this service's, so axe-core checks only the broker's page here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from broker.platform.settings import Settings
from tests.broker.browser.conftest import Visitor
from tests.support import oidc_provider
from tests.support.oidc_provider import STAFF_SUBJECT, RunningProvider

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("demo")]


@pytest.fixture
def provider_and_broker(chromium: Any, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                        broker_cli: Callable[..., Any]) -> Iterator[tuple[RunningProvider, str]]:
    with oidc_provider.provider_and_broker(settings, tmp_path, monkeypatch, broker_cli) as running:
        yield running


def _log_in_at_the_provider(page: Any, provider: RunningProvider) -> None:
    assert page.url.startswith(provider.issuer + "/interaction/")
    page.locator("input[name=login]").fill(STAFF_SUBJECT)
    page.locator("input[name=password]").fill("any password")
    page.locator("button[type=submit]").first.click()
    page.wait_for_load_state()
    if page.url.startswith(provider.issuer + "/interaction/"):  # the consent page
        page.locator("button[type=submit]").first.click()
    page.wait_for_load_state()


def test_a_caseworker_signs_in_and_out_through_the_councils_provider(
    chromium: Any, provider_and_broker: tuple[RunningProvider, str], axe_source: str,
) -> None:
    provider, base_url = provider_and_broker
    context = chromium.new_context()
    context.set_default_timeout(10_000)
    refusals: list[str] = []
    try:
        page = context.new_page()
        # The sign-out form is redirected to the provider: the pages' CSP form-action must allow it.
        page.on("console", lambda m: "Content Security Policy" in m.text and refusals.append(m.text))
        page.goto(f"{base_url}/sign-in")
        page.get_by_role("link", name="Council staff").click()
        page.wait_for_load_state()
        _log_in_at_the_provider(page, provider)
        assert page.url == f"{base_url}/account"
        assert "Sam Okafor" in page.content()
        Visitor(page, base_url, axe_source).check_accessibility()

        page.get_by_role("button", name="Sign out").first.click()
        page.wait_for_load_state()
        assert page.url.startswith(provider.issuer + "/session/end")
        page.get_by_role("button", name="Yes, sign me out").click()
        page.wait_for_url(f"{base_url}/signed-out")

        # The next person at this computer is asked to sign in at the provider.
        page.goto(f"{base_url}/sign-in/staff")
        page.wait_for_load_state()
        assert page.url.startswith(provider.issuer + "/interaction/")
        assert page.locator("input[name=login]").count() == 1
        assert not refusals, refusals
    finally:
        context.close()
