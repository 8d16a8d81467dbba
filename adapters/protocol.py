"""The contract every source-system adapter implements, and the shapes that cross it.

An adapter answers four questions about one source system: what it can supply (data categories
and identifier schemes), who in it might be this child (``find_person``), what it holds about one
of its own people (``fetch``), and whether it is up (``health``).  Adapters authenticate as a
system, never as a person; the person asking and why travel with every fetch in ``FetchContext``
and reach the source system as request headers.
"""

from __future__ import annotations

import hashlib
import json
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from enum import IntEnum, StrEnum
from typing import Any
from urllib.parse import quote


class Tier(IntEnum):
    """How far a data category may travel (docs/law.md, "Data categories")."""

    matching = 0
    standard = 1
    confidential = 2
    never_on_permission = 3


class DataCategory(StrEnum):
    ID_CORE = "ID_CORE"
    ID_CONTACT = "ID_CONTACT"
    EDU_ATTENDANCE = "EDU_ATTENDANCE"
    EDU_ATTAINMENT = "EDU_ATTAINMENT"
    EDU_SEN_SUPPORT = "EDU_SEN_SUPPORT"
    EDU_ADVICE = "EDU_ADVICE"
    FAMILY_VIEWS = "FAMILY_VIEWS"
    FINANCE_PB = "FINANCE_PB"
    EP_ADVICE = "EP_ADVICE"
    HEALTH_ADVICE = "HEALTH_ADVICE"
    SC_ASSESSMENT = "SC_ASSESSMENT"
    SC_PLAN = "SC_PLAN"
    PFA_ADVICE = "PFA_ADVICE"
    SAFEGUARDING = "SAFEGUARDING"
    COURT = "COURT"
    ADOPTION = "ADOPTION"
    THIRD_PARTY = "THIRD_PARTY"
    YJ_CRIMINAL = "YJ_CRIMINAL"
    CHILD_CONFIDENCE = "CHILD_CONFIDENCE"
    GENDER_RECOGNITION = "GENDER_RECOGNITION"

    @property
    def tier(self) -> Tier:
        return _TIERS.get(self, Tier.never_on_permission)


_TIERS: dict[DataCategory, Tier] = {
    DataCategory.ID_CORE: Tier.matching,
    DataCategory.ID_CONTACT: Tier.matching,
    DataCategory.EDU_ATTENDANCE: Tier.standard,
    DataCategory.EDU_ATTAINMENT: Tier.standard,
    DataCategory.EDU_SEN_SUPPORT: Tier.standard,
    DataCategory.EDU_ADVICE: Tier.standard,
    DataCategory.FAMILY_VIEWS: Tier.standard,
    DataCategory.FINANCE_PB: Tier.standard,
    DataCategory.EP_ADVICE: Tier.confidential,
    DataCategory.HEALTH_ADVICE: Tier.confidential,
    DataCategory.SC_ASSESSMENT: Tier.confidential,
    DataCategory.SC_PLAN: Tier.confidential,
    DataCategory.PFA_ADVICE: Tier.confidential,
}

RESTRICTED_CATEGORIES = frozenset(c for c in DataCategory if c.tier is Tier.never_on_permission)


class Sensitivity(StrEnum):
    """The label an item carries: the tier of its category, or stricter if the source says so."""

    matching = "matching"
    standard = "standard"
    confidential = "confidential"
    restricted = "restricted"

    @classmethod
    def of(cls, category: DataCategory) -> Sensitivity:
        return _SENSITIVITY_OF_TIER[category.tier]


_SENSITIVITY_OF_TIER = {
    Tier.matching: Sensitivity.matching,
    Tier.standard: Sensitivity.standard,
    Tier.confidential: Sensitivity.confidential,
    Tier.never_on_permission: Sensitivity.restricted,
}


class IdentifierScheme(StrEnum):
    nhs_number = "nhs_number"
    upn = "upn"


_HEADER_SAFE = "".join(chr(c) for c in range(0x21, 0x7F) if chr(c) != "%") + " "


@dataclass(frozen=True)
class FetchContext:
    """Why a fetch happens and for whom; passed to the source system as request headers."""

    purpose: str
    case_reference: str | None = None
    consent_ids: Sequence[str] = ()
    requesting_user: str | None = None
    request_id: str | None = None

    def headers(self) -> dict[str, str]:
        """The context as HTTP headers; values are percent-encoded where they are not plain ASCII,
        so no value can break or inject a header."""
        values = {
            "X-Purpose": self.purpose,
            "X-Case-Reference": self.case_reference,
            "X-Consent-Ids": ",".join(self.consent_ids) if self.consent_ids else None,
            "X-Requesting-User": self.requesting_user,
            "X-Request-Id": self.request_id,
        }
        return {name: quote(value, safe=_HEADER_SAFE) for name, value in values.items() if value}


@dataclass(frozen=True)
class PersonQuery:
    """What the broker knows about the child, to look them up in a source system."""

    given_name: str | None = None
    family_name: str | None = None
    date_of_birth: date | None = None
    sex: str | None = None
    postcode: str | None = None
    identifiers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Candidate:
    """One person a source system offers for a query, in its own terms (``person_ref`` is its local id;
    ``held_by``, when the source names one, the organisation holding the record, in the source's own
    code: the education system names the pupil's school by its URN)."""

    source_system: str
    person_ref: str
    given_name: str | None
    family_name: str | None
    date_of_birth: date | None
    sex: str | None = None
    postcode: str | None = None
    identifiers: Mapping[str, str] = field(default_factory=dict)
    held_by: str | None = None


def canonical_json(content: Any) -> bytes:
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str).encode()


def content_hash(content: Any | None, document: bytes | None) -> str:
    """SHA-256 over the canonical JSON of ``content``, a newline, then the document's bytes."""
    digest = hashlib.sha256()
    digest.update(canonical_json(content) if content is not None else b"null")
    digest.update(b"\n")
    digest.update(document or b"")
    return digest.hexdigest()


@dataclass(frozen=True)
class RecordItem:
    """One record released by a source system, with its provenance.

    ``content`` is structured JSON, ``document`` a file (``media_type`` says which kind); either
    or both.  ``content_hash`` is computed, never supplied, so it always matches what was fetched.
    ``held_by`` is who holds the record now, in the source's own code, when the source says (the
    education system: the pupil's current school's URN).
    """

    source_system: str
    source_record_id: str
    category: DataCategory
    title: str
    effective_date: date | None
    retrieved_at: datetime
    content: Mapping[str, Any] | None = None
    document: bytes | None = None
    media_type: str | None = None
    sensitivity: Sensitivity | None = None
    held_by: str | None = None
    # The case this item was written for, when the source says so (advice the council asked for
    # under reg 6(1) for that assessment); None for records kept for the source's own work.
    written_for: str | None = None
    content_hash: str = field(init=False)

    def __post_init__(self) -> None:
        if self.content is None and self.document is None:
            raise ValueError("a record item needs content, a document, or both")
        if self.document is not None and not self.media_type:
            raise ValueError("a document needs a media type")
        if self.retrieved_at.tzinfo is None:
            raise ValueError("retrieved_at must be timezone-aware")
        if self.sensitivity is None:
            object.__setattr__(self, "sensitivity", Sensitivity.of(self.category))
        object.__setattr__(self, "content_hash", content_hash(self.content, self.document))

    @property
    def is_restricted(self) -> bool:
        return self.category in RESTRICTED_CATEGORIES or self.sensitivity is Sensitivity.restricted


def releasable(items: Iterable[RecordItem]) -> list[RecordItem]:
    """Drop every item whose category or label is tier 3, leaving no trace of how many there were."""
    return [item for item in items if not item.is_restricted]


def requestable(categories: Iterable[DataCategory | str]) -> list[DataCategory]:
    """The categories an adapter may ask for: tier 3 ones are never requested."""
    result = []
    for c in categories:
        category = DataCategory(c)
        if category not in RESTRICTED_CATEGORIES and category not in result:
            result.append(category)
    return result


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class HealthStatus:
    source_system: str
    healthy: bool
    detail: str
    latency_ms: float | None = None


class SourceAdapter(ABC):
    """The base every adapter extends.  One instance per configured source system."""

    #: the kind of system this module talks to, e.g. "education"
    kind: str = ""
    categories: frozenset[DataCategory] = frozenset()
    identifier_schemes: frozenset[str] = frozenset()
    #: True when the system names who holds each person's record (``Candidate.held_by`` and
    #: ``RecordItem.held_by``), as the education system names the pupil's school
    names_holders: bool = False

    def __init__(self, name: str) -> None:
        self.name = name
        unsafe = self.categories & RESTRICTED_CATEGORIES
        if unsafe:
            raise TypeError(f"{type(self).__name__} declares tier 3 categories {sorted(unsafe)}")

    def supports(self, category: DataCategory | str) -> bool:
        return DataCategory(category) in self.categories

    @abstractmethod
    async def find_person(self, query: PersonQuery, context: FetchContext) -> list[Candidate]:
        """The system's own candidates for ``query`` (empty when it knows nobody like that)."""

    @abstractmethod
    async def fetch(
        self, person_ref: str, categories: Iterable[DataCategory | str], context: FetchContext
    ) -> list[RecordItem]:
        """The releasable items the system holds about ``person_ref`` in ``categories``."""

    async def describe(
        self, person_ref: str, categories: Iterable[DataCategory | str], context: FetchContext
    ) -> list[RecordItem]:
        """What ``fetch`` would release, described: the same items, titles, dates and kinds, where
        the system can say so without sending each document (``document`` then None, with the
        ``media_type`` it would have).  For a preview; never stored.  By default, ``fetch``."""
        return await self.fetch(person_ref, categories, context)

    @abstractmethod
    async def health(self) -> HealthStatus:
        """Whether the system answers, and how quickly."""
