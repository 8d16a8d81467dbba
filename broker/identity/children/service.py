"""Finding a child: what a search needs, and what it shows of each match."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, replace
from datetime import date

from sqlalchemy.orm import Session

from broker.assessments import repository as assessments_repository
from broker.assessments.service import may_open_cases
from broker.audit_trail import auditing, catalogue
from broker.auth.principal import Principal, Role
from broker.identity.children import repository

# Identifiers a caseworker may type: an NHS number (10 digits, often written 3-3-4) or a UPN.
_NHS_NUMBER = re.compile(r"^\d{10}$")
_UPN = re.compile(r"^[A-Z]\d{11}[0-9A-Z]$")
_LIKE_SPECIALS = re.compile(r"([\\%_])")


@dataclass(frozen=True)
class OpenCase:
    """A child's open case, as a search result links to it."""

    id: uuid.UUID
    reference: str


@dataclass(frozen=True)
class ChildSummary:
    person_id: uuid.UUID
    name: str
    date_of_birth: date | None
    nhs_number: str | None
    upn: str | None
    # Set by ``search_children`` for the member of staff who searched: their organisation's open
    # cases for the child, and whether they may open one now.
    open_cases: tuple[OpenCase, ...] = ()
    may_open_case: bool = False


def normalise_identifier(text: str) -> tuple[str, str] | None:
    """``("nhs_number", digits)`` or ``("upn", upper-case)`` for what was typed, else ``None``."""
    compact = re.sub(r"[\s-]", "", text).upper()
    if _NHS_NUMBER.match(compact):
        return "nhs_number", compact
    if _UPN.match(compact):
        return "upn", compact
    return None


def find_children(
    session: Session, *, name: str = "", born: date | None = None, identifier: tuple[str, str] | None = None,
) -> list[ChildSummary]:
    """Children matching an identifier exactly, or a date of birth and every word of a name."""
    if identifier is not None:
        people = repository.subjects_with_identifier(session, [identifier[0]], identifier[1])
    elif born is not None and name.strip():
        words = [_LIKE_SPECIALS.sub(r"\\\1", w) for w in name.split()]
        people = repository.subjects_born_on(session, born, words)
    else:
        return []
    identifiers = repository.identifiers_of(session, [p.id for p in people])
    return [
        ChildSummary(
            person_id=p.id, name=f"{p.given_name} {p.family_name}", date_of_birth=p.date_of_birth,
            nhs_number=identifiers[p.id].get("nhs_number"), upn=identifiers[p.id].get("upn"),
        )
        for p in people
    ]


def _for_caseworker(session: Session, caller: Principal, child: ChildSummary) -> ChildSummary:
    """The child with the caller's organisation's open cases, and whether the caller may open one."""
    if caller.organisation_id is None:
        return child
    cases = tuple(OpenCase(case.id, case.reference)
                  for case in assessments_repository.open_cases_by_child(session, [child.person_id]).get(child.person_id, [])
                  if case.organisation_id == caller.organisation_id)
    organisation = assessments_repository.get_organisation(session, caller.organisation_id)
    may_open = (caller.role is Role.caseworker and may_open_cases(organisation.kind if organisation else None)
                and not cases)
    return replace(child, open_cases=cases, may_open_case=may_open)


def search_children(
    session: Session, caller: Principal, *, name: str = "", born: date | None = None,
    identifier: tuple[str, str] | None = None,
) -> list[ChildSummary]:
    """``find_children`` for a member of staff, written to the audit log with what it found.

    The entry names the children found (by id) and how they were looked for, never the name, date
    of birth or number typed in.
    """
    found = [_for_caseworker(session, caller, child)
             for child in find_children(session, name=name, born=born, identifier=identifier)]
    auditing.record(session, catalogue.child_searched(
        caller, found=[child.person_id for child in found],
        searched_by=identifier[0] if identifier else "name_and_date_of_birth"))
    return found
