"""The preview of a request before answering: titles, dates and kinds only, nothing stored, audited."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from adapters.protocol import DataCategory, RecordItem
from adapters.registry import SourceOutcome
from audit.models import AuditEntry
from broker.dev.demo import demo_id
from broker.families import family_preview
from broker.gathering.models import GatheredItem
from broker.identity.holders import Holding
from broker.platform.db import Database
from consent.models import ConsentRequest

OLIVER = demo_id("person:oliver")

pytestmark = pytest.mark.usefixtures("demo")


@pytest.fixture
def priya(app: FastAPI, web_session) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    cookies, _ = web_session("priya.bennett")
    with TestClient(app, base_url="https://testserver", cookies=cookies, follow_redirects=False) as client:
        yield client


def _request_id(database: Database) -> str:
    with database.sessions() as session:
        return str(session.scalars(select(ConsentRequest.id).where(ConsentRequest.subject_id == OLIVER)).one())


def _item(category: DataCategory, title: str) -> RecordItem:
    return RecordItem(source_system="educational_psychology", source_record_id=title, category=category, title=title,
                      effective_date=date(2024, 3, 1), retrieved_at=datetime.now(UTC),
                      content={"summary": "What the report says"}, document=b"%PDF-1.4", media_type="application/pdf")


def test_the_preview_lists_titles_dates_and_kinds_and_stores_nothing(priya: TestClient, database: Database,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    async def answered(registry, plans, categories, context, *, deadline_seconds=None, describe_only=False):  # type: ignore[no-untyped-def]
        assert describe_only, "a preview never asks for the documents themselves"
        assert context.purpose == "EHC_NEEDS_ASSESSMENT" and list(categories) == ["EP_ADVICE"]
        return {name: SourceOutcome(name, "ok", [_item(DataCategory.EP_ADVICE, "Psychological advice, Year 3"),
                                                 _item(DataCategory.SAFEGUARDING, "Strategy meeting notes")])
                for name in plans}

    monkeypatch.setattr(family_preview, "fetch_from_all", answered)
    eps = demo_id("org:NCC-EPS")
    monkeypatch.setattr(family_preview, "holdings", lambda session, settings, registry, subject: [
        Holding("educational_psychology", eps, "Northshire educational psychology service", ("EP-1",)),
        Holding("ep_paper", eps, "Northshire educational psychology service", (str(subject),))])
    request_id = _request_id(database)
    page = priya.get(f"/family/{OLIVER}/requests/{request_id}")
    assert f'href="/family/{OLIVER}/requests/{request_id}/preview"' in page.text
    preview = priya.get(f"/family/{OLIVER}/requests/{request_id}/preview")
    assert preview.status_code == 200
    assert "Psychological advice, Year 3" in preview.text and "1 March 2024" in preview.text
    assert "A document (PDF)" in preview.text
    assert "What the report says" not in preview.text and "Strategy meeting" not in preview.text
    with database.sessions() as session:
        assert session.scalar(select(func.count()).select_from(GatheredItem)) == 0
        entry = session.scalars(select(AuditEntry).where(AuditEntry.event_type == "records.previewed")).one()
        assert entry.subject_id == str(OLIVER)


def test_a_service_that_cannot_be_reached_is_said_so(priya: TestClient, database: Database) -> None:
    preview = priya.get(f"/family/{OLIVER}/requests/{_request_id(database)}/preview")
    assert preview.status_code == 200
    assert "We cannot show what this service holds right now" in preview.text


def test_a_request_no_longer_waiting_has_no_preview(priya: TestClient, database: Database) -> None:
    request_id = _request_id(database)
    with database.unit_of_work() as session:
        session.get(ConsentRequest, uuid.UUID(request_id)).expires_at = datetime.now(UTC) - timedelta(days=1)  # type: ignore[union-attr]
    assert priya.get(f"/family/{OLIVER}/requests/{request_id}/preview").status_code == 404
