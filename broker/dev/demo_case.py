"""A demo child's assessment made ready to gather, through the HTTP API of a running broker.

Leo's records are linked across the three simulated source systems, his mother records her
permission for one category from each of them, and a caseworker opens his EHC needs assessment:
after that a gather reaches every source and is released in full.  The load run, the gathering
benchmark and the two-process fault test all start from this state; it lives beside the demo
data because it relies on that data's facts (who holds parental responsibility for Leo, which
organisation holds which category).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta

import httpx

from broker.dev.demo import demo_id
from broker.platform.clock import council_today

LEO = str(demo_id("person:leo"))
PARENT = "emma.walsh"
CASEWORKER = "sen.caseworker"
# One category from each simulated system, by the code of the organisation that holds it.
HOLDERS = {"EP_ADVICE": "NCC-EPS", "SC_ASSESSMENT": "NCC-CSC", "EDU_ATTENDANCE": "SCH-RIVERSIDE"}


def open_leos_case(client: httpx.Client, caseworker: Mapping[str, str], parent: Mapping[str, str]) -> str:
    """Link Leo's records, record his mother's permission for ``HOLDERS``, open his assessment.

    ``client`` has the broker's base URL; ``caseworker`` and ``parent`` are the request headers
    (bearer tokens) of ``CASEWORKER`` and ``PARENT``.  Returns the path to gather the case from.
    Raises ``httpx.HTTPStatusError`` if the broker refuses any step.
    """
    sen = str(demo_id("org:NCC-SEN"))
    client.post("/api/v1/identity-links/discover", json={"person_id": LEO}, headers=caseworker).raise_for_status()
    client.post("/api/v1/consents", headers=parent, json={
        "subject_id": LEO, "basis": "confidentiality", "scope": [
            {"data_category": category, "purpose": "EHC_NEEDS_ASSESSMENT",
             "holder_organisation_id": str(demo_id("org:" + holder)), "recipient_organisation_id": sen}
            for category, holder in HOLDERS.items()]}).raise_for_status()
    case = client.post("/api/v1/assessments", headers=caseworker, json={
        "subject_id": LEO, "purpose": "EHC_NEEDS_ASSESSMENT", "received_on": str(council_today() - timedelta(days=3))})
    case.raise_for_status()
    return f"/api/v1/assessments/{case.json()['id']}/gather"
