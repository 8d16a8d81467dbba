"""The three adapters against their simulators, over real HTTP."""

from __future__ import annotations

import asyncio
import io
import time
from datetime import date

import pypdf
import pytest

from adapters.connection import SourceConnection
from adapters.education import EducationAdapter
from adapters.educational_psychology import EducationalPsychologyAdapter
from adapters.errors import SourceFailure
from adapters.protocol import DataCategory, FetchContext, PersonQuery, Sensitivity
from adapters.registry import AdapterRegistry, fetch_from_all
from adapters.simulators.population import build_population
from adapters.social_care import SocialCareAdapter

CONTEXT = FetchContext(purpose="EHC_NEEDS_ASSESSMENT", case_reference="EHC-2026-0042",
                       consent_ids=("c-1", "c-2"), requesting_user="sen.caseworker", request_id="req-123")
LEO = PersonQuery("Leo", "Walsh", date(2014, 7, 9), "M", identifiers={"nhs_number": "4505577104", "upn": "H820400118004"})
POPULATION = build_population()


def run(coro):  # type: ignore[no-untyped-def]
    return asyncio.run(coro)


def registry(simulators, **overrides) -> AdapterRegistry:  # type: ignore[no-untyped-def]
    return AdapterRegistry.from_configs(sim.config(**overrides) for sim in simulators.values())


def test_find_demo_child_in_every_system_and_fetch_everything(simulators) -> None:  # type: ignore[no-untyped-def]
    reg = registry(simulators)
    refs = {}
    for adapter in reg:
        candidates = run(adapter.find_person(LEO, CONTEXT))
        assert len(candidates) == 1, adapter.name
        assert candidates[0].given_name == "Leo" and candidates[0].date_of_birth == date(2014, 7, 9)
        refs[adapter.name] = candidates[0].person_ref
    categories = [c for c in DataCategory]
    outcomes = run(fetch_from_all(reg, refs, categories, CONTEXT))
    assert {name: o.status for name, o in outcomes.items()} == dict.fromkeys(refs, "ok")
    education = outcomes["education"].items
    assert {i.category for i in education} >= {DataCategory.ID_CORE, DataCategory.ID_CONTACT, DataCategory.EDU_ATTENDANCE}
    core = next(i for i in education if i.category is DataCategory.ID_CORE)
    assert core.content["upn"] == "H820400118004" and core.content["looked_after"] is True
    # The education system names Leo's school by its URN: the holder of every record it releases.
    assert {i.held_by for i in education} == {core.content["school_urn"]} == {"8202001"}
    social = outcomes["social_care"].items
    assert any(i.source_record_id == "PLN-LEO-CARE" for i in social)
    # Leo's strategy meeting is held by the social care system; it never appears, in any form.
    assert not any("SGD" in i.source_record_id or "safeguarding" in str(i.content).lower() for i in social)
    for outcome in outcomes.values():
        for item in outcome.items:
            assert item.sensitivity is not Sensitivity.restricted and len(item.content_hash) == 64
            assert item.retrieved_at.tzinfo is not None


def test_context_travels_as_headers_and_the_safeguarding_endpoint_is_never_called(simulators) -> None:  # type: ignore[no-untyped-def]
    reg = registry(simulators)
    run(fetch_from_all(reg, {"social_care": "MOS200039"}, list(DataCategory), CONTEXT))
    log = simulators["social_care"].access_log()["requests"]
    mine = [r for r in log if r["request_id"] == "req-123"]
    assert mine and all(r["purpose"] == "EHC_NEEDS_ASSESSMENT" and r["case_reference"] == "EHC-2026-0042"
                        and r["consent_ids"] == "c-1,c-2" and r["requesting_user"] == "sen.caseworker" for r in mine)
    assert not any(r["path"].endswith("/safeguarding") for r in log)


def test_misfiled_safeguarding_items_are_dropped_without_a_trace(simulators) -> None:  # type: ignore[no-untyped-def]
    rec = next(r for r in POPULATION.social_care.values()
               if any(a.get("classification") == "safeguarding" for a in r.assessments + r.plans))
    adapter = SocialCareAdapter(simulators["social_care"].config())
    items = run(adapter.fetch(rec.person_id, list(DataCategory), CONTEXT))
    ids = {i.source_record_id for i in items}
    assert not ids & {s["id"] for s in rec.safeguarding}
    standard = {a["id"] for a in rec.assessments + rec.plans + rec.short_breaks if a.get("classification") == "standard"}
    assert standard <= ids


def test_tier_three_categories_are_never_requested(simulators) -> None:  # type: ignore[no-untyped-def]
    adapter = SocialCareAdapter(simulators["social_care"].config())
    before = len(simulators["social_care"].access_log()["requests"])
    assert run(adapter.fetch("MOS200039", [DataCategory.SAFEGUARDING, DataCategory.COURT], CONTEXT)) == []
    assert len(simulators["social_care"].access_log()["requests"]) == before


def test_ep_documents_are_real_pdfs_and_consultation_notes_stay_until_released(simulators) -> None:  # type: ignore[no-untyped-def]
    case = next(c for c in POPULATION.ep.values()
                if any(d.doc_type == "consultation_note" and not d.released for d in c.documents)
                and any(d.scanned for d in c.documents if d.doc_type != "consultation_note"))
    note = next(d for d in case.documents if d.doc_type == "consultation_note" and not d.released)
    adapter = EducationalPsychologyAdapter(simulators["educational_psychology"].config())
    items = run(adapter.fetch(case.case_ref, [DataCategory.EP_ADVICE], CONTEXT))
    assert note.document_id not in {i.source_record_id for i in items}
    for item in items:
        assert item.media_type == "application/pdf" and item.sensitivity is Sensitivity.confidential
        assert len(pypdf.PdfReader(io.BytesIO(item.document)).pages) == 1
    scanned = [i for i in items if i.content["scanned"]]
    assert scanned and all(not pypdf.PdfReader(io.BytesIO(i.document)).pages[0].extract_text().strip() for i in scanned)
    import httpx

    from adapters.simulators.common import DEVELOPMENT_CLIENT_SECRET
    httpx.post(f"{simulators['educational_psychology'].url}/api/documents/{note.document_id}/release",
               headers={"X-Simulator-Control": DEVELOPMENT_CLIENT_SECRET}).raise_for_status()
    released = run(adapter.fetch(case.case_ref, [DataCategory.EP_ADVICE], CONTEXT))
    assert note.document_id in {i.source_record_id for i in released}
    assert len(released) == len(items) + 1


def test_ep_documents_are_described_for_a_preview_without_sending_any(simulators) -> None:  # type: ignore[no-untyped-def]
    case = next(c for c in POPULATION.ep.values() if len([d for d in c.documents if d.released]) >= 2)
    adapter = EducationalPsychologyAdapter(simulators["educational_psychology"].config())
    fetched = run(adapter.fetch(case.case_ref, [DataCategory.EP_ADVICE], CONTEXT))
    log = simulators["educational_psychology"].access_log()["requests"]
    before = len(log)
    described = run(adapter.describe(case.case_ref, [DataCategory.EP_ADVICE], CONTEXT))
    asked = simulators["educational_psychology"].access_log()["requests"][before:]
    assert [(i.source_record_id, i.title, i.effective_date, i.media_type) for i in described] == [
        (i.source_record_id, i.title, i.effective_date, i.media_type) for i in fetched]
    assert all(i.document is None for i in described)
    assert asked and not any(r["path"].endswith("/content") for r in asked)
    assert run(adapter.describe(case.case_ref, [DataCategory.SAFEGUARDING], CONTEXT)) == []


def test_wrong_client_secret_is_a_clear_failure(simulators) -> None:  # type: ignore[no-untyped-def]
    adapter = EducationAdapter(simulators["education"].config(client_secret="wrong"))
    with pytest.raises(SourceFailure) as failure:
        run(adapter.find_person(LEO, CONTEXT))
    assert failure.value.reason == "authentication_failed"


def test_token_is_reused_across_calls(simulators) -> None:  # type: ignore[no-untyped-def]
    adapter = EducationAdapter(simulators["education"].config())
    before = simulators["education"].access_log()["token_requests"]
    for _ in range(3):
        run(adapter.find_person(LEO, CONTEXT))
    assert simulators["education"].access_log()["token_requests"] == before + 1


@pytest.mark.parametrize("switches, reason", [
    ({"fail_status": 503}, "server_error"),
    ({"malformed": True}, "malformed"),
    ({"oversized_bytes": 3_000_000}, "oversized"),
    ({"latency_ms": 1500}, "timeout"),
])
@pytest.mark.parametrize("kind", ["education", "social_care", "educational_psychology"])
def test_each_fault_is_a_per_source_failure_and_the_others_still_answer(simulators, kind, switches, reason) -> None:  # type: ignore[no-untyped-def]
    refs = {"education": "P100021", "social_care": "MOS200039", "educational_psychology": "EP/2022/00003"}
    reg = registry(simulators, timeout_seconds=0.5, retry_attempts=2)
    simulators[kind].control(**switches)
    outcomes = run(fetch_from_all(reg, refs, list(DataCategory), CONTEXT))
    assert outcomes[kind].status == "failed" and outcomes[kind].reason == reason
    assert outcomes[kind].items == [] and outcomes[kind].detail
    for other in set(refs) - {kind}:
        assert outcomes[other].status == "ok" and outcomes[other].items


def test_a_system_that_is_down_is_a_failure_not_a_crash(simulators) -> None:  # type: ignore[no-untyped-def]
    from tests.adapters.conftest import free_port
    down = simulators["education"].config(base_url=f"http://127.0.0.1:{free_port()}", retry_attempts=2)
    reg = AdapterRegistry.from_configs([down, simulators["social_care"].config()])
    outcomes = run(fetch_from_all(reg, {"education": "P100021", "social_care": "MOS200039"}, list(DataCategory), CONTEXT))
    assert outcomes["education"].reason == "unreachable" and outcomes["social_care"].status == "ok"


def test_reads_are_retried_with_backoff_until_the_system_recovers(simulators) -> None:  # type: ignore[no-untyped-def]
    adapter = SocialCareAdapter(simulators["social_care"].config(retry_attempts=3))
    simulators["social_care"].control(fail_status=502, fail_times=2)
    items = run(adapter.fetch("MOS200039", [DataCategory.ID_CORE], CONTEXT))
    assert len(items) == 1


def test_writes_are_not_retried(simulators) -> None:  # type: ignore[no-untyped-def]
    connection = SourceConnection(simulators["education"].config(retry_attempts=3))
    simulators["education"].control(fail_status=500)
    before = len(simulators["education"].access_log()["requests"])
    with pytest.raises(SourceFailure):
        run(connection.request("POST", "/api/pupils/search", json={"upn": "H820400118004"}))
    assert len(simulators["education"].access_log()["requests"]) == before + 1


def test_circuit_opens_after_repeated_failures_and_stops_calling(simulators) -> None:  # type: ignore[no-untyped-def]
    adapter = SocialCareAdapter(simulators["social_care"].config(
        retry_attempts=1, breaker_failure_threshold=3, breaker_reset_seconds=0.5))
    simulators["social_care"].control(fail_status=500)
    for _ in range(3):
        with pytest.raises(SourceFailure):
            run(adapter.fetch("MOS200039", [DataCategory.ID_CORE], CONTEXT))
    before = len(simulators["social_care"].access_log()["requests"])
    with pytest.raises(SourceFailure) as failure:
        run(adapter.fetch("MOS200039", [DataCategory.ID_CORE], CONTEXT))
    assert failure.value.reason == "circuit_open"
    assert len(simulators["social_care"].access_log()["requests"]) == before
    simulators["social_care"].control()
    time.sleep(0.6)
    assert run(adapter.fetch("MOS200039", [DataCategory.ID_CORE], CONTEXT))
    assert adapter.connection.breaker.state == "closed"


def test_health_reports_each_system(simulators) -> None:  # type: ignore[no-untyped-def]
    reg = registry(simulators)
    statuses = [run(a.health()) for a in reg]
    assert all(s.healthy for s in statuses)


def test_an_ep_system_serving_pdfs_that_run_javascript_is_a_malformed_answer(simulators) -> None:  # type: ignore[no-untyped-def]
    reg = registry(simulators)
    simulators["educational_psychology"].control(active_pdf=True)
    outcomes = run(fetch_from_all(reg, {"educational_psychology": "EP/2022/00003"}, [DataCategory.EP_ADVICE], CONTEXT))
    failed = outcomes["educational_psychology"]
    assert failed.status == "failed" and failed.reason == "malformed" and failed.items == []
    assert "active content" in failed.detail
