"""Screenshots of the pages at phone (320px) and desktop widths, for docs/screenshots/.

``make screenshots`` (or ``python -m broker.web.screenshots``) serves the broker on a free local
port with the demo data and photographs each page with the system's headless Chromium.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

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
                context = browser.new_context(viewport=viewport)
                page = context.new_page()
                for name, path in PAGES.items():
                    page.goto(base_url + path)
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
    print(f"taking screenshots of {len(PAGES)} pages at two widths", flush=True)
    written = take(args.output)
    print(f"{len(written)} screenshots written")


if __name__ == "__main__":
    main()
