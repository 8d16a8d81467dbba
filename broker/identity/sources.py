"""The source systems as the broker configures them: one adapter registry per app."""

from __future__ import annotations

import asyncio
import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from adapters.connection import SourceSystemConfig
from adapters.errors import SourceFailure
from adapters.identity import Demographics
from adapters.protocol import Candidate, FetchContext, PersonQuery
from adapters.registry import AdapterRegistry
from adapters.sealing import DocumentSealer
from adapters.service import linked_refs as links_in_force
from broker.platform.errors import NotFound
from broker.platform.settings import Settings
from consent.models import Person, PersonIdentifier

SIMULATOR_PREFIX = "/simulators"


def source_system_configs(settings: Settings) -> list[SourceSystemConfig]:
    """Each enabled source system's config; one with no base URL points at its embedded simulator."""
    configs = []
    for name, system in (settings.source_systems or {}).items():
        if not system.enabled:
            continue
        base_url = system.base_url or f"{settings.public_url.rstrip('/')}{SIMULATOR_PREFIX}/{system.kind}"
        configs.append(SourceSystemConfig(
            name=name, kind=system.kind, base_url=base_url, client_id=system.client_id,
            client_secret=system.client_secret.get_secret_value() if system.client_secret else None,
            token_path=system.token_path, timeout_seconds=system.timeout_seconds,
            connect_timeout_seconds=system.connect_timeout_seconds, max_response_bytes=system.max_response_bytes,
            retry_attempts=system.retry_attempts, breaker_failure_threshold=system.breaker_failure_threshold,
            breaker_reset_seconds=system.breaker_reset_seconds, verify_tls=system.verify_tls, module=system.module))
    return configs


def build_registry(settings: Settings, sessions: sessionmaker[Session], sealer: DocumentSealer) -> AdapterRegistry:
    """The registry of every configured adapter (the EP paper store reads through ``sessions`` and
    opens its scans with ``sealer``)."""
    return AdapterRegistry.from_configs(source_system_configs(settings), sessions=sessions, sealer=sealer)


def subject_query(session: Session, person_id: uuid.UUID) -> tuple[PersonQuery, Demographics]:
    """What the broker knows of a subject, as a source-system query and as matching demographics."""
    person = session.get(Person, person_id)
    if person is None or not person.is_subject:
        raise NotFound("no such child or young person")
    identifiers = {i.scheme: i.value for i in session.scalars(
        select(PersonIdentifier).where(PersonIdentifier.person_id == person_id,
                                       PersonIdentifier.scheme.in_(("nhs_number", "upn"))))}
    query = PersonQuery(person.given_name, person.family_name, person.date_of_birth, person.sex,
                        identifiers=identifiers)
    demographics = Demographics.from_parts(
        given_name=person.given_name, family_name=person.family_name, date_of_birth=person.date_of_birth,
        sex=person.sex, identifiers=identifiers)
    return query, demographics


async def find_candidates(
    registry: AdapterRegistry, query: PersonQuery, context: FetchContext,
) -> tuple[list[Candidate], dict[str, str]]:
    """Ask every matching source system for candidates at once; a failing system is reported
    by name with its reason, never raised.  Stores filed by broker person id need no matching."""
    adapters = [a for a in registry if "broker_person_id" not in a.identifier_schemes]
    answers = await asyncio.gather(*(a.find_person(query, context) for a in adapters), return_exceptions=True)
    candidates: list[Candidate] = []
    failures: dict[str, str] = {}
    for adapter, answer in zip(adapters, answers, strict=True):
        if isinstance(answer, SourceFailure):
            failures[adapter.name] = answer.detail
        elif isinstance(answer, BaseException):
            failures[adapter.name] = f"the adapter failed ({type(answer).__name__})"
        else:
            candidates.extend(answer)
    return candidates, failures


def refs_in_force(session: Session, registry: AdapterRegistry, person_id: uuid.UUID) -> dict[str, list[str]]:
    """Which local records may be fetched for a subject: links in force only (a link waiting for
    review, rejected or unlinked gives nothing), plus stores filed under the broker's own id."""
    refs = {name: list(r) for name, r in links_in_force(session, person_id).items() if name in registry.names}
    for adapter in registry:
        if "broker_person_id" in adapter.identifier_schemes:
            refs[adapter.name] = [str(person_id)]
    return refs
