"""Who is calling: a signed-in person or a source system, with the role the broker gave them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    family = "family"
    caseworker = "caseworker"
    safeguarding_lead = "safeguarding_lead"
    ig_auditor = "ig_auditor"
    admin = "admin"
    system = "system"


STAFF_ROLES = frozenset({Role.caseworker, Role.safeguarding_lead, Role.ig_auditor, Role.admin})


@dataclass(frozen=True)
class Principal:
    """An authenticated caller, resolved to a broker user account."""

    user_id: uuid.UUID
    username: str
    display_name: str
    role: Role
    organisation_id: uuid.UUID | None = None
    person_id: uuid.UUID | None = None
    issuer: str | None = None

    @property
    def is_family(self) -> bool:
        return self.role is Role.family

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES
