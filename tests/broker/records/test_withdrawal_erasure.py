"""Items held only under a withdrawn permission are erased: at once by default, or by
``broker retention apply`` once the grace period has passed."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from adapters import service as adapters_service
from adapters.models import EpPaperDocument
from adapters.simulators.pdf import scanned_report
from broker.permissions import consent_actions
from broker.platform.db import Database
from broker.platform.settings import Settings
from broker.records import erasure
from broker.records.encryption.documents import PaperDocumentSealer
from broker.records.encryption.service import RecordEncryption
from broker.records.erasure import WITHDRAWN, apply_retention, expired_items
from consent.models import utcnow
from consent.schemas import ConsentCreate, ConsentWithdraw, ScopeRow
from tests.broker.audit_entries import entries_since, next_seq
from tests.broker.records.builders import CSC, EMMA, EPS, LEO, SEN, item_ids, read_text, store_item


def _grant(session: Session, category: str, holder: uuid.UUID, recipient: uuid.UUID = SEN,
           purpose: str = "EHC_NEEDS_ASSESSMENT") -> uuid.UUID:
    return consent_actions.grant(session, EMMA, ConsentCreate(subject_id=LEO, basis="confidentiality", scope=[
        ScopeRow(data_category=category, purpose=purpose, holder_organisation_id=holder,
                 recipient_organisation_id=recipient)])).id


def test_withdrawing_the_last_permission_erases_at_once_and_only_what_it_alone_held(
        database: Database, settings: Settings, demo) -> None:  # type: ignore[no-untyped-def]
    encryption = RecordEncryption.from_settings(settings)
    with database.unit_of_work() as session:
        sen_ep = _grant(session, "EP_ADVICE", EPS)
        csc_ep = _grant(session, "EP_ADVICE", EPS, recipient=CSC, purpose="SHORT_BREAKS")
        sen_sc = _grant(session, "SC_ASSESSMENT", CSC)
        ep = store_item(session, encryption, text="ep-report-text", consent_id=sen_ep)
        sc = store_item(session, encryption, text="sc-assessment-text", category="SC_ASSESSMENT", holder=CSC,
                        consent_id=sen_sc)
        never = store_item(session, encryption, text="never-under-permission", category="EDU_ADVICE")
    # Social care's own permission still covers the EP report: nothing is erased.
    with database.unit_of_work() as session:
        start = next_seq(session)
        erasure.withdraw(session, EMMA, sen_ep, ConsentWithdraw(reason="changed my mind"), settings, encryption)
    with database.sessions() as session:
        assert item_ids(session) == {ep, sc, never}
        assert [e.event_type for e in entries_since(session, start)] == ["consent.withdrawn"]
    # Withdrawing that one too leaves the report held under nothing: erased in the same transaction.
    with database.unit_of_work() as session:
        start = next_seq(session)
        erasure.withdraw(session, EMMA, csc_ep, ConsentWithdraw(), settings, encryption)
    with database.sessions() as session:
        assert item_ids(session) == {sc, never}
        events = entries_since(session, start)
        assert [e.event_type for e in events] == ["consent.withdrawn", "records.erased"]
        assert events[1].reason == WITHDRAWN and events[1].actor_username == "emma.walsh"
        assert [i["id"] for i in events[1].details["items"]] == [str(ep)]
        assert "ep-report-text" not in repr(events)
        assert read_text(session, encryption, sc) == "sc-assessment-text"
        assert read_text(session, encryption, never) == "never-under-permission"


def test_with_a_grace_period_retention_apply_erases_once_it_has_passed(
        database: Database, settings: Settings, demo) -> None:  # type: ignore[no-untyped-def]
    settings = settings.model_copy(update={"withdrawal_grace_days": 7})
    encryption = RecordEncryption.from_settings(settings)
    with database.unit_of_work() as session:
        consent = _grant(session, "EP_ADVICE", EPS)
        ep = store_item(session, encryption, text="ep-report-text", consent_id=consent)
    withdrawn = utcnow()
    with database.unit_of_work() as session:
        erasure.withdraw(session, EMMA, consent, ConsentWithdraw(), settings, encryption)
    with database.sessions() as session:
        assert item_ids(session) == {ep}
        assert expired_items(session, settings, withdrawn + timedelta(days=6, hours=23)) == []
    assert apply_retention(database, settings, encryption, withdrawn + timedelta(days=6, hours=23)).erased == 0
    later = withdrawn + timedelta(days=7, minutes=1)
    run = apply_retention(database, settings, encryption, later)
    assert run.erased == 1 and [e.reason for e in run.expired] == [WITHDRAWN]
    with database.sessions() as session:
        assert item_ids(session) == set()
    assert apply_retention(database, settings, encryption, later).erased == 0


def test_a_permission_granted_again_before_the_grace_ends_keeps_the_item(
        database: Database, settings: Settings, demo) -> None:  # type: ignore[no-untyped-def]
    settings = settings.model_copy(update={"withdrawal_grace_days": 7})
    encryption = RecordEncryption.from_settings(settings)
    with database.unit_of_work() as session:
        consent = _grant(session, "EP_ADVICE", EPS)
        ep = store_item(session, encryption, text="ep-report-text", consent_id=consent)
    with database.unit_of_work() as session:
        erasure.withdraw(session, EMMA, consent, ConsentWithdraw(), settings, encryption)
        _grant(session, "EP_ADVICE", EPS)
    assert apply_retention(database, settings, encryption, utcnow() + timedelta(days=30)).erased == 0
    with database.sessions() as session:
        assert item_ids(session) == {ep}


def test_withdrawing_through_the_api_erases_at_once(
        client: TestClient, database: Database, settings: Settings, auth_headers) -> None:  # type: ignore[no-untyped-def]
    encryption = RecordEncryption.from_settings(settings)
    with database.unit_of_work() as session:
        consent = _grant(session, "EP_ADVICE", EPS)
        store_item(session, encryption, text="ep-report-text", consent_id=consent)
    response = client.post(f"/api/v1/consents/{consent}/withdraw", json={}, headers=auth_headers("emma.walsh"))
    assert response.status_code == 200, response.text
    with database.sessions() as session:
        assert item_ids(session) == set()


def test_an_item_released_on_the_statutory_footing_is_not_erased_by_a_withdrawal(
        database: Database, settings: Settings, demo) -> None:  # type: ignore[no-untyped-def]
    encryption = RecordEncryption.from_settings(settings)
    with database.unit_of_work() as session:
        consent = _grant(session, "EP_ADVICE", EPS)
        on_permission = store_item(session, encryption, text="ep-report-text", consent_id=consent)
        # The same holder and category, released without a permission (public task): kept.
        statutory = store_item(session, encryption, text="statutory-copy")
    with database.unit_of_work() as session:
        erasure.withdraw(session, EMMA, consent, ConsentWithdraw(), settings, encryption)
    with database.sessions() as session:
        assert item_ids(session) == {statutory}
        assert read_text(session, encryption, statutory) == "statutory-copy"
    assert on_permission != statutory


def test_the_childs_scanned_paper_reports_are_re_sealed_when_an_erasure_re_keys_the_child(
        database: Database, settings: Settings, demo) -> None:  # type: ignore[no-untyped-def]
    encryption = RecordEncryption.from_settings(settings)
    sealer = PaperDocumentSealer(encryption)
    scan = scanned_report(31)
    with database.unit_of_work() as session:
        consent = _grant(session, "EP_ADVICE", EPS)
        store_item(session, encryption, text="ep-report-text", consent_id=consent)
        document = adapters_service.upload_paper_document(
            session, person_id=LEO, document_type="ep_report", title="EP report (paper file)", author="Ms Joan Hale",
            document_date=date(2019, 3, 1), media_type="application/pdf", content=scan, uploaded_by="ep.psychologist",
            sealer=sealer)
        sealed_before = document.content
    with database.unit_of_work() as session:
        erasure.withdraw(session, EMMA, consent, ConsentWithdraw(), settings, encryption)
    with database.sessions() as session:
        stored = session.get(EpPaperDocument, document.id)
        assert stored is not None and stored.content != sealed_before
        assert sealer.open(session, LEO, document.id, stored.content) == scan
        # The old sealed copy (as a backup would hold it) no longer opens: its key is destroyed.
        assert sealer.open(session, LEO, document.id, sealed_before) is None
