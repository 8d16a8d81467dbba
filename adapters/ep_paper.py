"""The EP service on paper: reports scanned and uploaded into the broker's own document store.

This adapter reads that store (through a session factory the registry offers it), so the rest of
the broker treats a paper EP service exactly like one with a records system.  Its person ref is
the broker's own person id: uploads are made against the subject directly, no matching needed.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from adapters.connection import SourceSystemConfig
from adapters.protocol import (
    Candidate,
    DataCategory,
    FetchContext,
    HealthStatus,
    PersonQuery,
    RecordItem,
    SourceAdapter,
    releasable,
    requestable,
    utcnow,
)
from adapters.sealing import DocumentSealer
from adapters.service import paper_documents


class EpPaperAdapter(SourceAdapter):
    kind = "ep_paper"
    categories = frozenset({DataCategory.EP_ADVICE})
    identifier_schemes = frozenset({"broker_person_id"})

    def __init__(
        self, config: SourceSystemConfig, *, sessions: sessionmaker[Session] | None = None,
        sealer: DocumentSealer | None = None, **_: Any,
    ) -> None:
        super().__init__(config.name)
        if sessions is None or sealer is None:
            raise TypeError("the EP paper store adapter needs the broker's session factory and document sealer")
        self.sessions = sessions
        self.sealer = sealer

    async def find_person(self, query: PersonQuery, context: FetchContext) -> list[Candidate]:
        """The subject themself, by broker person id (uploads are filed against the subject)."""
        ref = query.identifiers.get("broker_person_id")
        if not ref:
            return []
        return [Candidate(self.name, ref, query.given_name, query.family_name, query.date_of_birth,
                          query.sex, None, {"broker_person_id": ref})]

    def _read(self, person_id: uuid.UUID) -> list[RecordItem]:
        with self.sessions() as session:
            now = utcnow()
            items = []
            for d in paper_documents(session, person_id):
                scan = self.sealer.open(session, person_id, d.id, d.content)
                if scan is None:  # erased with the child's key: there is nothing left to release
                    continue
                items.append(RecordItem(
                    self.name, str(d.id), DataCategory.EP_ADVICE, d.title, d.document_date, now,
                    {"type": d.document_type, "author": d.author, "scanned": True,
                     "paper_file_reference": d.paper_file_reference, "uploaded_by": d.uploaded_by,
                     "uploaded_at": d.uploaded_at.isoformat(), "stored_hash": d.content_hash},
                    scan, d.media_type))
            return items

    async def fetch(
        self, person_ref: str, categories: Iterable[DataCategory | str], context: FetchContext
    ) -> list[RecordItem]:
        """Every uploaded report for the subject."""
        if DataCategory.EP_ADVICE not in requestable(categories):
            return []
        try:
            person_id = uuid.UUID(person_ref)
        except ValueError:
            return []
        return releasable(await asyncio.to_thread(self._read, person_id))

    async def health(self) -> HealthStatus:
        started = time.perf_counter()

        def probe() -> None:
            with self.sessions() as session:
                session.execute(text("SELECT 1"))

        try:
            await asyncio.to_thread(probe)
        except Exception as exc:
            return HealthStatus(self.name, False, f"store unavailable ({type(exc).__name__})")
        return HealthStatus(self.name, True, "answering", round((time.perf_counter() - started) * 1000, 1))


ADAPTER = EpPaperAdapter
