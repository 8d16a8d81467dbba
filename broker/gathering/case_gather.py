"""Gathering a case's records: one use case for the API and the case page alike.

First the child is looked for in every source system (``broker.identity.linking.discover``: links
made, likely matches queued for a person), committed in its own short transaction; then the
records are gathered (``service.gather``: plan, fetch with no connection held, commit), each item
released by the release policy.  The API route and the page route both call ``gather_case``, so
the same case gives the same release whichever way it is asked.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from anyio import to_thread

from adapters.registry import AdapterRegistry
from broker.assessments import service as assessments
from broker.auth import Principal
from broker.gathering import service
from broker.gathering.service import GatherResult
from broker.identity import linking
from broker.platform.db import Database
from broker.platform.errors import NotFound
from broker.platform.settings import Settings
from broker.records.encryption.service import RecordEncryption


@dataclass(frozen=True)
class _Case:
    id: uuid.UUID
    reference: str
    subject_id: uuid.UUID
    purpose: str


async def gather_case(
    database: Database, who: Principal, settings: Settings, registry: AdapterRegistry, encryption: RecordEncryption,
    *, assessment_id: uuid.UUID, categories: list[str] | None = None,
) -> GatherResult:
    """Find the child of the caller's organisation's case ``assessment_id`` in the source systems,
    then gather ``categories`` (None: every category the broker may carry) for the case.

    Another organisation's case, or none, is not found.  The search commits before the gather
    starts, so no transaction is held while the sources answer."""

    def find_the_child() -> _Case:
        with database.unit_of_work() as session:
            case = assessments.visible_assessment(session, who, assessment_id)
            if case.organisation_id != who.organisation_id:
                raise NotFound("There is no assessment with that id among your team's cases.")
            linking.discover(session, who, registry, case.subject_id, case.purpose, case.reference)
            return _Case(case.id, case.reference, case.subject_id, case.purpose)

    case = await to_thread.run_sync(find_the_child)
    return await service.gather(database, who, settings, registry, encryption, subject_id=case.subject_id,
                                purpose=case.purpose, categories=categories, assessment_id=case.id,
                                case_reference=case.reference)
