"""What the page tests do with forms: take a page's form token, and fill a GOV.UK date input."""

from __future__ import annotations

import re
from datetime import date

from fastapi.testclient import TestClient

_TOKEN = re.compile(r'name="form_token" value="([^"]+)"')


def form_token(client: TestClient, path: str) -> str:
    """The form token of the page at ``path``, as the signed-in client receives it."""
    found = _TOKEN.search(client.get(path).text)
    assert found, f"no form token on {path}"
    return found.group(1)


def date_fields(prefix: str, day: date) -> dict[str, str]:
    """The fields ``prefix-day``, ``prefix-month`` and ``prefix-year`` of a date input."""
    return {f"{prefix}-day": str(day.day), f"{prefix}-month": str(day.month), f"{prefix}-year": str(day.year)}
