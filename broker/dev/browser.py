"""A real broker on a local port and the system's headless Chromium: what the browser tests and
the screenshot script share.

Playwright drives Debian's Chromium (``/usr/bin/chromium``); its own browser download is never
used.  ``playwright`` is a development dependency, imported only by the functions that need it.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import uvicorn
from fastapi import FastAPI

from broker.app import create_app
from broker.dev.demo import seed
from broker.platform.db import Database
from broker.platform.migrate import upgrade
from broker.platform.settings import Settings

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Playwright, ViewportSize

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
PHONE: ViewportSize = {"width": 320, "height": 640}
DESKTOP: ViewportSize = {"width": 1280, "height": 900}


def launch_chromium(playwright: Playwright) -> Browser:
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def demo_app(data_dir: Path, port: int, *, template: Path | None = None) -> FastAPI:
    """The broker on a fresh SQLite database in ``data_dir``, migrated and loaded with the demo data.

    ``template`` is an already-migrated database file to copy instead of migrating again.
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / "broker.db"
    if template is not None:
        path.write_bytes(template.read_bytes())
    url = f"sqlite:///{path}"
    if template is None:
        upgrade(url)
    settings = Settings(
        environment="test", database_url=url, data_dir=data_dir, public_url=f"http://127.0.0.1:{port}",
    )
    database = Database(settings)
    with database.unit_of_work() as session:
        seed(session)
    database.dispose()
    return create_app(settings)


@contextmanager
def serving(app: FastAPI, port: int) -> Iterator[str]:
    """Serve ``app`` with uvicorn in a background thread; yield its base URL; stop it afterwards."""
    server = uvicorn.Server(uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", access_log=False, lifespan="on",
    ))
    thread = threading.Thread(target=server.run, name=f"broker-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"the broker did not start on port {port}")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
