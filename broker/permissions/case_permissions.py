"""What a case's pages need to know about permissions: which source systems hold what for a child
and under which permission, and asking the family for exactly what is missing.

Everything here flushes and never commits; the request's unit of work commits once.
"""


from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.orm import Session

from adapters.protocol import requestable
from adapters.registry import AdapterRegistry
from broker.auth import Principal
from broker.families.family_view import category_label
from broker.identity.holders import Holding, holdings
from broker.permissions import consent_actions, release_policy
from broker.platform.errors import InvalidInput
from broker.platform.settings import Settings
from consent.models import utcnow
from consent.schemas import ConsentRequestCreate, ConsentRequestRead

# How long the family has to answer a request raised from a case.
ANSWER_WITHIN_DAYS = 28


@dataclass(frozen=True)
class Source:
    """A source system the broker fetches from, with the organisation that holds its records."""

    name: str
    holder_id: uuid.UUID
    holder_name: str
    categories: list[str]


@dataclass(frozen=True)
class CategoryStatus:
    """The release policy's answer for one category from one holder, before anything is fetched:
    ``statutory`` when the council's duty releases it (all of it, or the advice sought for the
    case), ``askable`` when part of it rests on a permission the family has not given."""

    code: str
    label: str
    permitted: bool
    reason: str
    statutory: bool = False
    askable: bool = False
    in_words: str = ""


@dataclass(frozen=True)
class SourceStatus:
    source: Source
    categories: list[CategoryStatus]

    @property
    def missing(self) -> list[CategoryStatus]:
        """What the family may be asked for: never what rests on the statutory duty alone."""
        return [c for c in self.categories if c.askable]


def sources(registry: AdapterRegistry, held_by: list[Holding]) -> list[Source]:
    """Each organisation holding the child's records (``broker.identity.holders.holdings``: the child's own
    school for the education system), in the registry's order; systems sharing a holder (an
    electronic and a paper store) are shown as one.  A holder the broker does not know is left
    out: no permission can name it."""
    by_holder: dict[uuid.UUID, Source] = {}
    for held in held_by:
        if held.holder_id is None or held.holder_name is None:
            continue
        mine = [c.value for c in requestable(sorted(registry.get(held.source_system).categories))]
        known = by_holder.get(held.holder_id)
        if known is None:
            by_holder[held.holder_id] = Source(held.source_system, held.holder_id, held.holder_name, mine)
        else:
            merged = known.categories + [c for c in mine if c not in known.categories]
            by_holder[held.holder_id] = Source(known.name, known.holder_id, known.holder_name, merged)
    return list(by_holder.values())


def permission_status(session: Session, caller: Principal, settings: Settings, registry: AdapterRegistry,
                      subject_id: uuid.UUID, purpose: str, *, held_by: list[Holding] | None = None,
                      assessment_id: uuid.UUID | None = None) -> list[SourceStatus]:
    """For each source and each category it holds: may it be released to the caller's organisation
    for ``purpose`` (and the case ``assessment_id``) now, and on which basis?  The release
    policy's answer, before anything is fetched: nothing is released.  ``held_by``: the child's
    holdings, when the caller has read them already."""
    if caller.organisation_id is None:
        return []
    to = release_policy.recipient(session, subject_id=subject_id, organisation_id=caller.organisation_id,
                                  purpose=purpose, at=utcnow(), user_id=caller.user_id, assessment_id=assessment_id)
    result = []
    if held_by is None:
        held_by = holdings(session, settings, registry, subject_id)
    for source in sources(registry, held_by):
        statuses = []
        for ruling in release_policy.decide(session, to, source.holder_id, source.categories):
            answer = ruling.summary()
            statuses.append(CategoryStatus(
                ruling.category, category_label(ruling.category), answer.released, answer.reason,
                statutory=answer.basis is release_policy.Basis.statutory_duty,
                askable=ruling.rests_on_missing_permission, in_words=answer.in_words))
        result.append(SourceStatus(source, statuses))
    return result


def ask_family(session: Session, caller: Principal, settings: Settings, registry: AdapterRegistry, *,
               subject_id: uuid.UUID, purpose: str, categories: list[str], why: str, valid_for_days: int,
               if_declined: str, assessment_id: uuid.UUID | None = None) -> ConsentRequestRead:
    """Raise one consent request for the chosen categories that rest on a permission missing now,
    from the sources that hold them, to the caller's organisation.  What the statutory duty
    releases is never asked for."""
    missing = permission_status(session, caller, settings, registry, subject_id, purpose, assessment_id=assessment_id)
    chosen = list(dict.fromkeys(categories))
    holders = [s.source.holder_id for s in missing if any(m.code in chosen for m in s.missing)]
    still_missing = {m.code for s in missing for m in s.missing}
    if not chosen or not set(chosen) <= still_missing or not holders:
        raise InvalidInput("Choose information that is missing now.")
    assert caller.organisation_id is not None
    return consent_actions.create_request(session, caller, ConsentRequestCreate(
        subject_id=subject_id, purpose=purpose, categories=chosen, holder_organisation_ids=holders,
        recipient_organisation_ids=[caller.organisation_id], why=why, valid_for_days=valid_for_days,
        if_declined=if_declined, expires_at=utcnow() + timedelta(days=ANSWER_WITHIN_DAYS),
    ), settings.public_url)
