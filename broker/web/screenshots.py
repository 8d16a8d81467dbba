"""Screenshots of the pages at phone (320px) and desktop widths, for docs/screenshots/.

``make screenshots`` (or ``python -m broker.web.screenshots``) serves the broker on a free local
port with the demo data and photographs each page with the system's headless Chromium.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from fastapi import FastAPI
from sqlalchemy import select

from broker.auth.principal import Principal, Role
from broker.models import User
from broker.web import assets
from broker.web.browser import CHROMIUM, DESKTOP, PHONE, demo_app, free_port, launch_chromium, serving

OUTPUT = assets.PROJECT_ROOT / "docs" / "screenshots"

# name -> path; each is photographed at both widths
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


def _sign_in_as(app: FastAPI, username: str) -> None:
    """Show staff pages signed in as a demo account: on this in-process app only, which the
    script builds on a throwaway database (the pages' own sign-in needs an identity provider)."""
    with app.state.database.sessions() as session:
        user = session.scalars(select(User).where(User.username == username)).one()
        principal = Principal(
            user_id=user.id, username=user.username, display_name=user.display_name, role=Role(user.role),
            organisation_id=user.organisation_id, person_id=user.person_id,
        )
    app.state.web_principal = lambda request: principal if request.url.path.startswith("/children") else None


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
        _sign_in_as(app, CASEWORKER)
        with serving(app, port) as base_url, sync_playwright() as playwright:
            browser = launch_chromium(playwright)
            for width_name, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
                context = browser.new_context(viewport=viewport)
                page = context.new_page()
                shots = [(name, path, None) for name, path in PAGES.items()]
                shots += [("find-a-child", "/children/find", None)]
                shots += [(name, "/children/find", fields) for name, fields in SEARCHES.items()]
                for name, path, fields in shots:
                    page.goto(base_url + path)
                    if fields:
                        for selector, value in fields.items():
                            page.fill(selector, value)
                        with page.expect_navigation():
                            page.click("button.govuk-button")
                    page.wait_for_load_state("load")
                    target = output / f"{name}-{width_name}.png"
                    page.screenshot(path=str(target), full_page=True)
                    print(f"  {target.relative_to(assets.PROJECT_ROOT)}", flush=True)
                    written.append(target)
                context.close()
            browser.close()
        app.state.database.dispose()
    return written


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m broker.web.screenshots",
        description="Photograph every page at 320px and 1280px wide into docs/screenshots/.",
    )
    parser.add_argument("--output", type=Path, default=OUTPUT, help="folder for the PNG files")
    args = parser.parse_args(argv)
    print(f"taking screenshots of {len(PAGES) + 1 + len(SEARCHES)} pages at two widths", flush=True)
    written = take(args.output)
    print(f"{len(written)} screenshots written")


if __name__ == "__main__":
    main()
