"""Relationships on top of roles: whose records a caller may reach, for every router to use.

- A family member reaches only the subjects they may decide for today (parental responsibility,
  being the young person, or a recorded representative: ``consent.standing``).  Any other subject
  answers 404, exactly as a subject that does not exist, so the answer reveals nothing.  They see
  their own contact details only, never another parent's (``may_see_contact_details_of``).
- Caseworkers and safeguarding leads act for their organisation; what subject data they then
  see is decided by consent, a statutory purpose or break-glass, elsewhere.
- IG auditors and administrators never reach child records through these functions.

Routes take a subject through the ``SubjectInScope`` dependency (the path parameter must be
called ``subject_id``): it runs before the request body is validated, so an unrelated caller
gets 404 whatever they send.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from broker.auth.dependencies import authenticate
from broker.auth.principal import Principal, Role
from broker.auth.repository import subject_by_id, subjects_by_ids
from broker.platform.clock import council_today
from broker.platform.db import SessionDep
from broker.platform.errors import Forbidden, NotFound
from consent.models import Person
from consent.standing import subjects_decided_by

# Roles that may reach a child's record at all (each endpoint still lists its own roles).
SUBJECT_ROLES = frozenset({Role.family, Role.caseworker, Role.safeguarding_lead, Role.system})
SUBJECT_NOT_FOUND = "There is no child or young person with that id that you can see."


def subject_ids_decided_by(session: Session, principal: Principal, on: date | None = None) -> list[uuid.UUID]:
    """The subjects a family member may decide for on ``on`` (today by default); none for others."""
    if principal.role is not Role.family or principal.person_id is None:
        return []
    return subjects_decided_by(session, principal.person_id, on or council_today())


def family_subjects(session: Session, principal: Principal, on: date | None = None) -> list[Person]:
    """The children and young people a family member may decide for, in a stable order."""
    return subjects_by_ids(session, subject_ids_decided_by(session, principal, on))


def may_see_contact_details_of(principal: Principal, person_id: uuid.UUID) -> bool:
    """Whether a family member may see this person's contact details: their own only.

    Two parents may each decide for a child; neither learns the other's address or telephone
    from the broker (it may be confidential, for good reason).  Staff access to contact details
    (``ID_CONTACT``) goes through consent and purpose, not through this function.
    """
    return principal.role is Role.family and principal.person_id == person_id


def acting_organisation(principal: Principal) -> uuid.UUID:
    """The organisation a member of staff or a source system acts for (403 if they have none)."""
    if principal.role is Role.family or principal.organisation_id is None:
        raise Forbidden("This needs an account that acts for an organisation.")
    return principal.organisation_id


def subject_in_scope(session: Session, principal: Principal, subject_id: uuid.UUID, on: date | None = None) -> Person:
    """The subject ``subject_id`` if ``principal`` may reach their record; 404 otherwise.

    Families: only subjects they may decide for.  Staff and source systems: any subject, for
    their organisation (what they may see of it is decided per purpose and consent).  IG auditors
    and administrators: refused (403), whether or not the subject exists.
    """
    if principal.role not in SUBJECT_ROLES:
        raise Forbidden("Your role does not give access to children's records.")
    if principal.role is Role.family:
        if subject_id not in subject_ids_decided_by(session, principal, on):
            raise NotFound(SUBJECT_NOT_FOUND)
    else:
        acting_organisation(principal)
    subject = subject_by_id(session, subject_id)
    if subject is None:
        raise NotFound(SUBJECT_NOT_FOUND)
    return subject


def _subject_from_path(request: Request, subject_id: uuid.UUID, session: SessionDep) -> Person:
    return subject_in_scope(session, authenticate(request, session), subject_id)


SubjectInScope = Annotated[Person, Depends(_subject_from_path)]


def _subject_from_path_for_pages(
    request: Request, subject_id: uuid.UUID, session: SessionDep,
) -> Person:
    from broker.auth.sessions import SignInRequired, signed_in_principal

    principal = signed_in_principal(request, session)
    if principal is None:
        raise SignInRequired("Sign in to see this page.")
    return subject_in_scope(session, principal, subject_id)


# The same, for pages (the signed-in person from the session cookie).
PageSubjectInScope = Annotated[Person, Depends(_subject_from_path_for_pages)]
