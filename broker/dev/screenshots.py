"""Screenshots of the pages at phone (320px) and desktop widths, for docs/screenshots/.

``make screenshots`` (or ``python -m broker.dev.screenshots``) serves the broker on a free local
port with the demo data and photographs each page with the system's headless Chromium.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from broker.dev.browser import CHROMIUM, DESKTOP, PHONE, demo_app, free_port, launch_chromium, serving
from broker.dev.demo import demo_id
from broker.web import assets

if TYPE_CHECKING:
    from playwright.sync_api import ViewportSize

OUTPUT = assets.PROJECT_ROOT / "docs" / "screenshots"

# name -> path; each is photographed at both widths, signed out
PAGES = {
    "start": "/",
    "privacy": "/privacy",
    "accessibility": "/accessibility",
    "not-found": "/no-such-page",
}
# name -> (form fields to fill on the find-a-child page), photographed after "Search"
SEARCHES = {
    "find-a-child-results": {"#name": "Amelia", "#dob-day": "14", "#dob-month": "3", "#dob-year": "2016"},
    "find-a-child-errors": {"#identifier": "12345"},
}
CASEWORKER = "sen.caseworker"
AMELIA_CASE = f"/assessments/{demo_id('assessment:amelia')}"
OLIVER = demo_id("person:oliver")
# name -> (who is signed in, path, the button to press there or None); in this order, since the
# gather comes before the bundle it fills
SIGNED_IN = [
    ("find-a-child", CASEWORKER, "/children/find", None),
    ("assessments", CASEWORKER, "/assessments", None),
    ("assessment", CASEWORKER, AMELIA_CASE, None),
    ("gathered", CASEWORKER, AMELIA_CASE, "#gather"),
    ("bundle", CASEWORKER, AMELIA_CASE + "/bundle", None),
    ("ask-the-family", CASEWORKER, AMELIA_CASE + "/ask", None),
    ("advice-status", CASEWORKER, f"{AMELIA_CASE}/advice/{demo_id('advice:amelia:education')}", None),
    ("advice-reused", CASEWORKER, f"{AMELIA_CASE}/advice/{demo_id('advice:amelia:education')}?chosen=1&status=reused",
     None),
    ("clock-exception", CASEWORKER, AMELIA_CASE + "/clock-exceptions/new", None),
    ("hand-over", CASEWORKER, AMELIA_CASE + "/case-officer", None),
    ("identity-reviews", CASEWORKER, "/identity-reviews", None),
    ("family-home", "priya.bennett", "/family", None),
    ("family-requests", "priya.bennett", f"/family/{OLIVER}/requests", None),
    ("family-permissions", "priya.bennett", f"/family/{OLIVER}/permissions", None),
    ("family-access-history", "priya.bennett", f"/family/{OLIVER}/access", None),
    ("young-person-home", "jordan.hughes", "/family", None),
    ("ig-audit-log", "ig.auditor", "/ig/audit", None),
    ("ig-integrity", "ig.auditor", "/ig/integrity", None),
    ("ig-break-glass", "ig.auditor", "/ig/break-glass", None),
    ("ig-reports", "ig.auditor", "/ig/reports", None),
]


def _sign_in(page: Any, base_url: str, username: str) -> None:
    """Sign in the way a person does, through the development identity provider of this throwaway app."""
    page.goto(base_url + "/sign-in/development")
    with page.expect_navigation():
        page.click(f"form:has(input[name='username'][value='{username}']) button")


def _photograph(page: Any, target: Path) -> Path:
    page.wait_for_load_state("load")
    page.screenshot(path=str(target), full_page=True)
    print(f"  {target.relative_to(assets.PROJECT_ROOT)}", flush=True)
    return target


def take(output: Path = OUTPUT) -> list[Path]:
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        raise SystemExit(f"error: {CHROMIUM} is not installed (apt-get install chromium)")
    if not assets.is_built():
        raise SystemExit("error: the front-end assets are not built (make assets)")
    output.mkdir(parents=True, exist_ok=True)
    written = []
    with tempfile.TemporaryDirectory() as data_dir:
        port = free_port()
        app = demo_app(Path(data_dir), port)
        with serving(app, port) as base_url, sync_playwright() as playwright:
            browser = launch_chromium(playwright)
            for width_name, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
                pages: dict[str | None, Any] = {}

                def as_user(
                    username: str | None, pages: dict[str | None, Any] = pages, viewport: ViewportSize = viewport
                ) -> Any:
                    if username not in pages:
                        pages[username] = browser.new_context(viewport=viewport).new_page()
                        if username:
                            _sign_in(pages[username], base_url, username)
                    return pages[username]

                for name, path in PAGES.items():
                    page = as_user(None)
                    page.goto(base_url + path)
                    written.append(_photograph(page, output / f"{name}-{width_name}.png"))
                for name, fields in SEARCHES.items():
                    page = as_user(CASEWORKER)
                    page.goto(base_url + "/children/find")
                    for selector, value in fields.items():
                        page.fill(selector, value)
                    with page.expect_navigation():
                        page.click("button.govuk-button")
                    written.append(_photograph(page, output / f"{name}-{width_name}.png"))
                for name, username, path, button in SIGNED_IN:
                    page = as_user(username)
                    page.goto(base_url + path)
                    if button:
                        with page.expect_navigation(timeout=60_000):
                            page.click(button)
                    written.append(_photograph(page, output / f"{name}-{width_name}.png"))
                for page in pages.values():
                    page.context.close()
            browser.close()
        app.state.database.dispose()
    return written


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m broker.dev.screenshots",
        description="Photograph every page at 320px and 1280px wide into docs/screenshots/.",
    )
    parser.add_argument("--output", type=Path, default=OUTPUT, help="folder for the PNG files")
    args = parser.parse_args(argv)
    print(f"taking screenshots of {len(PAGES) + len(SEARCHES) + len(SIGNED_IN)} pages at two widths", flush=True)
    written = take(args.output)
    print(f"{len(written)} screenshots written")


if __name__ == "__main__":
    main()
