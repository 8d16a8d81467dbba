"""The release policy on every path, against the simulators over real HTTP: a permission narrowed
to one document, the council's statutory duty with no permission at all, the EP's advice written
for this assessment against the service's earlier reports, and the API's gather against the
case page's, side by side."""

from __future__ import annotations

import html
import re
from datetime import date, timedelta
from typing import Any

import httpx
from fastapi import FastAPI
from fastapi.testclient import TestClient

from adapters.simulators.pdf import scanned_report
from broker.identity.sources import SIMULATOR_PREFIX
from broker.platform.settings import EMBEDDED_SIMULATOR_SECRET
from tests.broker.gathering.leos_case import LEO, by_source, call, gather, org

# Leo's one report in the EP records system (the simulated population's fixed seed).
LEOS_EP_CASE, LEOS_EP_REPORT = "EP/2022/00003", "EPD-000006"


def _grant(served: str, emma: dict[str, str], rows: list[dict[str, Any]]) -> str:
    response = call("POST", f"{served}/api/v1/consents", emma, json={
        "subject_id": LEO, "basis": "confidentiality", "scope": rows})
    assert response.status_code == 201, response.text
    return response.json()["id"]


def _ep_row(purpose: str, recipient: str, document: str | None = None) -> dict[str, Any]:
    return {"data_category": "EP_ADVICE", "purpose": purpose, "holder_organisation_id": org("NCC-EPS"),
            "recipient_organisation_id": org(recipient), "document_ref": document}


def _upload_paper_report(served: str, auth_headers) -> str:  # type: ignore[no-untyped-def]
    uploaded = call("POST", f"{served}/api/v1/ep-documents", auth_headers("ep.psychologist"), data={
        "person_id": LEO, "document_type": "ep_report", "title": "EP report from the paper file",
        "author": "Ms Joan Hale", "document_date": "2019-03-01"},
        files={"file": ("scan.pdf", scanned_report(41), "application/pdf")})
    assert uploaded.status_code == 201, uploaded.text
    return uploaded.json()["id"]


def _released(answer: dict[str, Any], category: str | None = None) -> dict[str, str]:
    """Released items by the source's id, each with its basis."""
    return {i["provenance"]["source_record_id"]: i["provenance"]["basis"]
            for s in answer["sources"] for i in s["released"] if category in (None, i["category"])}


def _bundle(served: str, headers: dict[str, str], case_id: str) -> dict[str, Any]:
    response = call("GET", f"{served}/api/v1/assessments/{case_id}/bundle", headers)
    assert response.status_code == 200, response.text
    return response.json()


def _bundled(bundle: dict[str, Any], category: str | None = None) -> dict[str, str]:
    return {i["provenance"]["source_record_id"]: i["provenance"]["basis"] for i in bundle["items"]
            if category in (None, i["category"])}


def _open_case_without_discovery(served: str, sen: dict[str, str]) -> tuple[str, str]:
    case = call("POST", f"{served}/api/v1/assessments", sen, json={
        "subject_id": LEO, "purpose": "EHC_NEEDS_ASSESSMENT", "received_on": str(date.today() - timedelta(days=3))})
    assert case.status_code == 201, case.text
    return case.json()["id"], case.json()["reference"]


def _ask_ep_for_advice(served: str, sen: dict[str, str], case_id: str) -> None:
    asked = call("POST", f"{served}/api/v1/assessments/{case_id}/advice-requests", sen, json={
        "advice_type": "psychological", "organisation_id": org("NCC-EPS")})
    assert asked.status_code == 201, asked.text


def _ep_writes_advice(served: str, case_reference: str) -> str:
    """The educational psychologist writes the advice for the case, in the EP service's own system."""
    written = httpx.post(f"{served}{SIMULATOR_PREFIX}/educational_psychology/api/cases/{LEOS_EP_CASE}/advice",
                         headers={"X-Simulator-Control": EMBEDDED_SIMULATOR_SECRET}, timeout=30,
                         json={"forCase": case_reference, "author": "Dr Hannah Lee"})
    assert written.status_code == 201, written.text
    return written.json()["documentId"]


def test_a_permission_narrowed_to_one_ep_document_releases_it_alone_on_gather_bundle_and_reuse(
        served: str, auth_headers, sen: dict[str, str], emma: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    paper = _upload_paper_report(served, auth_headers)
    case_id, _ = _open_case_without_discovery(served, sen)
    _grant(served, emma, [_ep_row("EHC_NEEDS_ASSESSMENT", "NCC-SEN", LEOS_EP_REPORT)])

    first = gather(served, sen, case_id, ["EP_ADVICE"])
    assert first.status_code == 200, first.text
    assert _released(first.json()) == {LEOS_EP_REPORT: "permission"}
    # The paper report the service also holds is neither released nor hinted at.
    assert by_source(first.json())["ep_paper"]["released"] == []
    assert paper not in first.text and first.json()["missing_permission"] is None
    assert _bundled(_bundle(served, sen, case_id)) == {LEOS_EP_REPORT: "permission"}

    # The family later lets the SEN team see all the service's reports: the paper report is stored too.
    _grant(served, emma, [_ep_row("EHC_NEEDS_ASSESSMENT", "NCC-SEN")])
    second = gather(served, sen, case_id, ["EP_ADVICE"])
    assert _released(second.json()) == {LEOS_EP_REPORT: "permission", paper: "permission"}

    # Social care is let reuse the one report only: served from the store, without the paper report.
    _grant(served, emma, [_ep_row("SHORT_BREAKS", "NCC-CSC", LEOS_EP_REPORT)])
    reuse = call("POST", f"{served}/api/v1/record-requests", auth_headers("sc.caseworker"),
                 json={"subject_id": LEO, "purpose": "SHORT_BREAKS", "categories": ["EP_ADVICE"]})
    assert reuse.status_code == 200, reuse.text
    assert _released(reuse.json()) == {LEOS_EP_REPORT: "permission"}
    assert by_source(reuse.json())["educational_psychology"]["served_from_store"] is True


def test_with_no_permission_a_gather_releases_what_the_statutory_duty_covers_and_everything_agrees(
        served: str, auth_headers, sen: dict[str, str], emma: dict[str, str], app: FastAPI,
        web_session) -> None:  # type: ignore[no-untyped-def]
    case_id, _ = _open_case_without_discovery(served, sen)
    answer = gather(served, sen, case_id, None)  # type: ignore[arg-type]
    assert answer.status_code == 200, answer.text
    sources = by_source(answer.json())
    education = sources["education"]
    school = education["holder_organisation_id"]
    released = {i["category"] for i in education["released"]}
    assert education["status"] == "ok" and released and all(c.startswith("EDU_") for c in released)
    assert _released(answer.json()) and set(_released(answer.json()).values()) == {"public_task"}
    assert all("law requires the council" in i["provenance"]["basis_in_words"] for i in education["released"])
    assert sources["educational_psychology"]["released"] == [] and sources["social_care"]["released"] == []
    assert set(answer.json()["missing_permission"]["categories"]) >= {"EP_ADVICE", "SC_ASSESSMENT"}
    assert not set(answer.json()["missing_permission"]["categories"]) & released

    # POST /decisions gives the same answer, with the basis.
    decided = call("POST", f"{served}/api/v1/decisions", sen, json={
        "subject_id": LEO, "recipient_organisation_id": org("NCC-SEN"), "holder_organisation_id": school,
        "purpose": "EHC_NEEDS_ASSESSMENT", "categories": sorted(released), "assessment_id": case_id})
    assert decided.status_code == 200, decided.text
    for category in decided.json()["categories"]:
        assert category["permitted"] and category["basis"] == "public_task" and category["consent_id"] is None
        assert category["released_items"] == "all" and category["family_may_be_asked"] is False
        assert "law requires the council" in category["basis_in_words"]
    ep = call("POST", f"{served}/api/v1/decisions", sen, json={
        "subject_id": LEO, "recipient_organisation_id": org("NCC-SEN"), "holder_organisation_id": org("NCC-EPS"),
        "purpose": "EHC_NEEDS_ASSESSMENT", "categories": ["EP_ADVICE"]}).json()["categories"][0]
    assert not ep["permitted"] and ep["basis"] is None and ep["family_may_be_asked"] is True

    # The family is not asked for it: the API refuses, the case page does not offer it.
    refused = call("POST", f"{served}/api/v1/consent-requests", sen, json={
        "subject_id": LEO, "basis": "confidentiality", "purpose": "EHC_NEEDS_ASSESSMENT",
        "categories": sorted(released), "holder_organisation_ids": [school],
        "recipient_organisation_ids": [org("NCC-SEN")], "why": "To know how Leo is doing at school.",
        "valid_for_days": 365, "if_declined": "The assessment goes ahead on less evidence.",
        "expires_at": "2099-01-01T00:00:00Z"})
    assert refused.status_code == 422 and "statutory duty" in refused.json()["detail"]
    assert "told, not asked" in refused.json()["detail"]
    staff_cookies, staff_token = web_session("sen.caseworker")
    family_cookies, family_token = web_session("emma.walsh")
    with TestClient(app, base_url="https://testserver") as browser:
        browser.cookies.update(staff_cookies)
        ask = browser.get(f"/assessments/{case_id}/ask")
        assert ask.status_code == 200
        offered = set(re.findall(r'name="categories" type="checkbox" value="([A-Z_]+)"', ask.text))
        assert offered and "EP_ADVICE" in offered and not offered & released
        asked = browser.post(f"/assessments/{case_id}/ask", data={
            "form_token": staff_token, "categories": sorted(released)[0], "why": "To know how Leo is doing.",
            "days": "365", "if_declined": "The assessment goes ahead on less evidence."}, follow_redirects=False)
        assert asked.status_code == 422 and "Select information that is still missing" in asked.text

        # Its pages say it was shared and why, and offer nothing to agree to or withdraw.
        browser.cookies.clear()
        browser.cookies.update(family_cookies)
        page = browser.get(f"/family/{LEO}/permissions")
        assert page.status_code == 200
        statutory = page.text.split('id="statutory"', 1)[1].split("</ul>", 1)[0]
        assert "The law requires the council to gather this for the assessment" in statutory
        assert "Northshire SEN team" in statutory and "/withdraw" not in statutory
        assert "you cannot withdraw it" in page.text
        # Nor is the family's preview of a request told "nothing has been shared yet".
        assert "Nothing has been shared yet" not in page.text
    assert family_token


def test_the_eps_advice_for_this_case_is_released_on_the_duty_and_earlier_reports_need_permission(
        served: str, auth_headers, sen: dict[str, str], emma: dict[str, str], app: FastAPI,
        web_session) -> None:  # type: ignore[no-untyped-def]
    case_id, reference = _open_case_without_discovery(served, sen)
    _ask_ep_for_advice(served, sen, case_id)
    advice = _ep_writes_advice(served, reference)
    first = gather(served, sen, case_id, ["EP_ADVICE"])
    assert first.status_code == 200, first.text
    assert _released(first.json()) == {advice: "public_task"}
    ep = by_source(first.json())["educational_psychology"]
    assert "reg 6(1)" in ep["released"][0]["provenance"]["basis_in_words"]
    assert ep["missing_permission"] == ["EP_ADVICE"]
    assert "other reports" in ep["withheld"][0]["reason"] and LEOS_EP_REPORT not in first.text

    # POST /decisions for the case says the same, with the basis.
    decided = call("POST", f"{served}/api/v1/decisions", sen, json={
        "subject_id": LEO, "recipient_organisation_id": org("NCC-SEN"), "holder_organisation_id": org("NCC-EPS"),
        "purpose": "EHC_NEEDS_ASSESSMENT", "categories": ["EP_ADVICE"], "assessment_id": case_id}).json()
    assert decided["categories"][0]["released_items"] == "advice_for_this_assessment"
    assert decided["categories"][0]["basis"] == "public_task" and decided["categories"][0]["family_may_be_asked"]

    # Asked for the earlier reports, the family's preview first says what is shared already and why.
    asked = call("POST", f"{served}/api/v1/consent-requests", sen, json={
        "subject_id": LEO, "basis": "confidentiality", "purpose": "EHC_NEEDS_ASSESSMENT", "categories": ["EP_ADVICE"],
        "holder_organisation_ids": [org("NCC-EPS")], "recipient_organisation_ids": [org("NCC-SEN")],
        "why": "Earlier reports show how Leo has progressed.", "valid_for_days": 365,
        "if_declined": "The assessment goes ahead on the new advice.", "expires_at": "2099-01-01T00:00:00Z"})
    assert asked.status_code == 201, asked.text
    cookies, token = web_session("emma.walsh")
    with TestClient(app, base_url="https://testserver") as browser:
        browser.cookies.update(cookies)
        preview = browser.get(f"/family/{LEO}/requests/{asked.json()['id']}/preview")
        assert preview.status_code == 200, preview.text
        text = html.unescape(preview.text)
        already = text.split('id="already-', 1)[1].split("</ul>", 1)[0]
        would_add = text.split('id="would-add-', 1)[1].split("</ul>", 1)[0]
        assert text.index("Already shared") < text.index("What a yes would add")
        assert "Psychological advice" in already and "Shared on" in already and "reg 6(1)" in already
        assert "Educational psychology report" in would_add and "Nothing has been shared yet" not in text

    # With the family's permission the earlier reports follow; the advice stays on the duty.
    consent_id = _grant(served, emma, [_ep_row("EHC_NEEDS_ASSESSMENT", "NCC-SEN")])
    second = gather(served, sen, case_id, ["EP_ADVICE"])
    assert _released(second.json()) == {advice: "public_task", LEOS_EP_REPORT: "permission"}
    # Its receipt says what does not rest on it.
    receipt = call("GET", f"{served}/api/v1/consents/{consent_id}/receipt", emma)
    assert receipt.status_code == 200, receipt.text
    [duty] = receipt.json()["receipt"]["notOnThisPermission"]
    assert duty["basis"] == "public_task" and f"advice written for the assessment ({reference})" in duty["why"]

    # Withdrawing says what stops and what does not, and the bundle then serves the advice alone.
    with TestClient(app, base_url="https://testserver") as browser:
        browser.cookies.update(cookies)
        form = browser.get(f"/family/{LEO}/permissions/{consent_id}/withdraw")
        assert form.status_code == 200
        stops = form.text.split('id="what-stops"', 1)[1].split("</ul>", 1)[0]
        continues = form.text.split('id="what-continues"', 1)[1].split("</ul>", 1)[0]
        assert "Northshire SEN team will no longer receive" in stops and "only because you gave permission" in stops
        assert f"advice written for the assessment ({reference})" in continues and "law requires" in continues
        done = browser.post(f"/family/{LEO}/permissions/{consent_id}/withdraw", data={"form_token": token})
        assert done.status_code == 200 and 'id="what-continues"' in done.text
        shared = done.text.split('id="statutory"', 1)[1].split("</ul>", 1)[0]
        assert "gather this advice for the assessment" in shared and "Northshire educational psychology" in shared
    assert _bundled(_bundle(served, sen, case_id), "EP_ADVICE") == {advice: "public_task"}


def test_the_api_and_the_case_page_gather_the_same_for_the_same_case(
        served: str, auth_headers, sen: dict[str, str], emma: dict[str, str], app: FastAPI,
        web_session) -> None:  # type: ignore[no-untyped-def]
    case_id, reference = _open_case_without_discovery(served, sen)
    _ask_ep_for_advice(served, sen, case_id)
    _ep_writes_advice(served, reference)
    _grant(served, emma, [{"data_category": "SC_ASSESSMENT", "purpose": "EHC_NEEDS_ASSESSMENT",
                           "holder_organisation_id": org("NCC-CSC"), "recipient_organisation_id": org("NCC-SEN")}])

    # The API's gather finds the child itself: no source answers "not linked".
    by_api = gather(served, sen, case_id, None)  # type: ignore[arg-type]
    assert by_api.status_code == 200, by_api.text
    assert not [s for s in by_api.json()["sources"] if s["status"] == "not_linked"]

    cookies, token = web_session("sen.caseworker")
    with TestClient(app, base_url="https://testserver") as browser:
        browser.cookies.update(cookies)
        by_page = browser.post(f"/assessments/{case_id}/gather", data={"form_token": token}, follow_redirects=False)
        assert by_page.status_code == 303, by_page.text
        gather_id = by_page.headers["location"].rsplit("/", 1)[1]
        shown = browser.get(by_page.headers["location"])
        assert shown.status_code == 200
    page_answer = call("GET", f"{served}/api/v1/assessments/{case_id}/gathers/{gather_id}", sen)
    assert page_answer.status_code == 200, page_answer.text

    def release(answer: dict[str, Any]) -> dict[str, tuple[str, str, str | None]]:
        return {i["provenance"]["source_record_id"]: (i["category"], i["provenance"]["basis"],
                                                      i["provenance"]["gathered_under_consent_id"])
                for s in answer["sources"] for i in s["released"]}

    api_release, page_release = release(by_api.json()), release(page_answer.json())
    assert api_release == page_release
    bases = {basis for _, basis, _ in api_release.values()}
    assert bases == {"public_task", "permission"}
    assert {(s["source_system"], s["status"], tuple(s["missing_permission"])) for s in by_api.json()["sources"]} == {
        (s["source_system"], s["status"], tuple(s["missing_permission"])) for s in page_answer.json()["sources"]}
    page_text = html.unescape(shown.text)
    assert all(i["title"] in page_text for s in page_answer.json()["sources"] for i in s["released"])
