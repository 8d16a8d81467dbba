"""Browser tests: the real broker on a local port, driven by headless Chromium through Playwright.

Every page a test reaches is checked with axe-core (from the npm registry, installed by
``make assets``); a serious or critical violation fails the test, and the terminal summary lists
the results per page (also written as JSON to the file named by ``BROKER_AXE_RESULTS``, if set).
Without ``/usr/bin/chromium`` the tests are skipped and the summary says so.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from broker.dev.browser import CHROMIUM, DESKTOP, demo_app, free_port, launch_chromium, serving
from broker.web import assets
from tests.broker.web.example_form import add_example_form

MISSING_CHROMIUM = f"{CHROMIUM} is not installed (apt-get install chromium): browser tests skipped"
SERIOUS = ("serious", "critical")
_SCRIPT = re.compile(r"<script\b.*?</script>", re.DOTALL)
_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _page_name(path: str) -> str:
    """The page a path shows, without its ids and query: results of one page, whoever's, together."""
    return _ID.sub("{id}", path.split("?")[0])

# page and width -> the ids and impacts of the violations found there, across the session
AXE_RESULTS: dict[str, set[str]] = {}


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not CHROMIUM.exists():
        terminalreporter.write_line(f"note: {MISSING_CHROMIUM}", yellow=True)
        return
    if AXE_RESULTS:
        terminalreporter.section("axe-core accessibility results per page")
        for page, found in sorted(AXE_RESULTS.items()):
            serious = sum(1 for f in found if f.endswith(SERIOUS))
            listed = ", ".join(sorted(found)) or "none"
            terminalreporter.write_line(f"{page:<28} {serious} serious or critical; all: {listed}")
        target = os.environ.get("BROKER_AXE_RESULTS")
        if target:
            Path(target).write_text(json.dumps(_by_impact(), indent=2, sort_keys=True) + "\n", "utf-8")
            terminalreporter.write_line(f"axe-core results written to {target}")


def _by_impact() -> dict[str, dict[str, int]]:
    """Page (and width) -> how many distinct rules each impact level broke there."""
    table: dict[str, dict[str, int]] = {}
    for page, found in AXE_RESULTS.items():
        counts = dict.fromkeys(("minor", "moderate", "serious", "critical"), 0)
        for rule in found:
            impact = rule.rsplit(":", 1)[1]
            counts[impact] = counts.get(impact, 0) + 1
        table[page] = counts
    return table


@pytest.fixture(scope="session")
def axe_source() -> str:
    if not assets.AXE_SCRIPT.is_file():
        pytest.fail("axe-core is not installed: run `make assets` (python -m broker.web.assets)")
    return assets.AXE_SCRIPT.read_text("utf-8")


# Package scope: Playwright's synchronous API keeps an event loop running in the main thread while
# it is open, so it must close when the browser tests end, before other tests call asyncio.run().
@pytest.fixture(scope="package")
def chromium() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip(MISSING_CHROMIUM)
    if not assets.is_built():
        pytest.fail("GOV.UK Frontend assets are not built: run `make assets` (python -m broker.web.assets)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        yield browser
        browser.close()


@pytest.fixture(scope="package")
def live_app(chromium: Any, tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[tuple[Any, str]]:
    """The broker app and its address, on a free local port, on a migrated SQLite database with the demo data."""
    port = free_port()
    app = demo_app(tmp_path_factory.mktemp("live"), port, template=sqlite_template)
    add_example_form(app)
    with serving(app, port) as base_url:
        yield app, base_url
    app.state.database.dispose()


@pytest.fixture(scope="package")
def live_server(live_app: tuple[Any, str]) -> str:
    """The live broker's address."""
    return live_app[1]


@dataclass
class Visitor:
    """A browser tab on the live broker that checks every page it reaches with axe-core."""

    page: Any
    base_url: str
    axe_source: str
    javascript: bool = True
    problems: list[str] = field(default_factory=list)
    checked: set[str] = field(default_factory=set)
    visited: list[str] = field(default_factory=list)

    @property
    def path(self) -> str:
        return self.page.url.removeprefix(self.base_url).split("#")[0] or "/"

    def goto(self, path: str) -> Any:
        response = self.page.goto(self.base_url + path)
        self.check_accessibility()
        return response

    def sign_in(self, username: str) -> None:
        """Sign in as a demo account the way a person does: through the development identity provider."""
        self.goto("/sign-in/development")
        self.click(f"form:has(input[name='username'][value='{username}']) button")

    def click(self, selector: str) -> None:
        """Click something that loads a page (a link or a submit button) and check the new page."""
        with self.page.expect_navigation():
            self.page.click(selector)
        self.check_accessibility()

    def follow_menu(self, href: str) -> None:
        """Follow a link of the service navigation, opening its menu first where a narrow screen hides it."""
        toggle = self.page.locator("button.govuk-service-navigation__toggle")
        if toggle.count() and toggle.is_visible() and toggle.get_attribute("aria-expanded") != "true":
            toggle.click()
        self.click(f"a.govuk-service-navigation__link[href='{href}']")

    def check_accessibility(self) -> None:
        self.page.wait_for_load_state("load")
        if self.javascript:
            self._run_axe(self.page)
            return
        # axe-core cannot run where scripts are off, so check the same page (its HTML as this tab
        # received it, less its scripts, with the same styles and width) in a tab that runs them.
        url = self.page.url.split("#")[0]
        html = _SCRIPT.sub("", self.page.content())
        checker = self.page.context.browser.new_context(viewport=self.page.viewport_size)
        try:
            page = checker.new_page()
            page.route(url, lambda route: route.fulfill(status=200, content_type="text/html", body=html))
            page.goto(url)
            self._run_axe(page)
        finally:
            checker.close()

    def _run_axe(self, page: Any) -> None:
        if not page.evaluate("typeof window.axe !== 'undefined'"):
            # Evaluated through the DevTools protocol, so the pages' policy, which allows no
            # such script, need not be loosened for the test.
            page.evaluate(self.axe_source)
        violations = page.evaluate(
            "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
            ".map(v => ({id: v.id, impact: v.impact, help: v.help, targets: v.nodes.map(n => n.target)}))"
        )
        serious = [v for v in violations if v["impact"] in SERIOUS]
        key = f"{_page_name(self.path)} ({self.page.viewport_size['width']}px)"
        AXE_RESULTS.setdefault(key, set()).update(f"{v['id']}:{v['impact']}" for v in violations)
        self.checked.add(self.page.url.split("#")[0])
        assert not serious, f"axe-core found serious accessibility problems on {self.path}:\n" + json.dumps(
            serious, indent=2
        )


def _new_visitor(chromium: Any, live_server: str, axe_source: str, **context_options: Any) -> Iterator[Visitor]:
    context = chromium.new_context(**{"viewport": DESKTOP, **context_options})
    context.set_default_timeout(10_000)
    page = context.new_page()
    visitor = Visitor(page, live_server, axe_source, javascript=context_options.get("java_script_enabled", True))
    # A 4xx page (an error summary, a not-found page) is logged as a failed load: the response
    # listener below judges sub-resources; the tests judge pages.
    page.on("console", lambda m: m.type == "error" and not m.text.startswith("Failed to load resource")
            and visitor.problems.append(f"console: {m.text}"))
    page.on("pageerror", lambda e: visitor.problems.append(f"script error: {e}"))
    page.on("requestfailed", lambda r: visitor.problems.append(f"request failed: {r.url}"))
    page.on("response", lambda r: r.status >= 400 and r.request.resource_type != "document"
            and visitor.problems.append(f"{r.status} for {r.url}"))
    page.on("framenavigated", lambda f: f == page.main_frame and visitor.visited.append(f.url.split("#")[0]))
    yield visitor
    context.close()
    unchecked = [url for url in visitor.visited if url not in visitor.checked]
    assert not unchecked, f"pages reached without an accessibility check: {unchecked}"
    # A Content-Security-Policy refusal shows as a console error: none is allowed.
    assert not visitor.problems, "\n".join(visitor.problems)


@pytest.fixture
def visitor(chromium: Any, live_server: str, axe_source: str) -> Iterator[Visitor]:
    yield from _new_visitor(chromium, live_server, axe_source)


@pytest.fixture
def visitor_factory(chromium: Any, live_server: str, axe_source: str) -> Iterator[Any]:
    """Open more tabs, with other viewports or with JavaScript turned off."""
    made: list[Iterator[Visitor]] = []

    def make(**context_options: Any) -> Visitor:
        generator = _new_visitor(chromium, live_server, axe_source, **context_options)
        made.append(generator)
        return next(generator)

    yield make
    for generator in made:
        next(generator, None)
