"""The OpenAPI description passes Redocly CLI's lint (an independent OpenAPI implementation, from
the npm registry) with no errors: every operation declares its security, the servers are given,
and every documented example is valid against its own schema (``redocly.yaml``)."""

from __future__ import annotations

import json
import subprocess  # nosec B404  # runs node on a pinned package of the project's own
from pathlib import Path

import pytest
from fastapi import FastAPI

from tests.support.oidc_provider import PROJECT_ROOT, node_executable

REDOCLY = PROJECT_ROOT / "node_modules" / "@redocly" / "cli" / "bin" / "cli.js"


def test_redocly_lint_finds_no_errors(app: FastAPI, tmp_path: Path) -> None:
    if not REDOCLY.exists():
        pytest.skip("Redocly CLI is not installed: `make assets` installs it from package-lock.json")
    document = tmp_path / "openapi.json"
    document.write_text(json.dumps(app.openapi()))
    report = tmp_path / "lint.json"
    done = subprocess.run(  # nosec B603  # fixed arguments
        [node_executable(), str(REDOCLY), "lint", str(document), "--config", str(PROJECT_ROOT / "redocly.yaml"),
         "--format", "json"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120, env={"PATH": "/usr/bin:/bin", "NO_COLOR": "1",
                                                                       "REDOCLY_TELEMETRY": "off",
                                                                       "REDOCLY_SUPPRESS_UPDATE_NOTICE": "true"})
    out = done.stdout[done.stdout.index("{"):] if "{" in done.stdout else "{}"
    report.write_text(out)
    found = json.loads(out)
    errors = [f"{p['ruleId']}: {p['message']} at {p['location'][0]['pointer']}"
              for p in found.get("problems", []) if p["severity"] == "error"]
    assert found.get("totals", {}).get("errors") == 0 and not errors, "\n".join(errors) or done.stderr[-2000:]
