"""A family's view of the audit log: who looked at their child's information, when and why.

Shown to someone who may decide for the subject (``consent.standing.subjects_decided_by``), in plain
language, and filtered so that one family member never learns another's private business:

- actions by other family members are left out (a separated parent does not see the other
  parent's consents, requests or sign-ins); the caller's own actions are shown as "You";
- an entry whose ``details["private_to"]`` lists person ids is shown only to those people (for
  example a disclosure of a record about one parent);
- safeguarding access (purpose ``SAFEGUARDING`` or a ``break_glass.*`` event) is shown only after
  information governance has released it (an ``audit.released`` entry naming its number);
- the log's own bookkeeping (``audit.*``: IG searches, exports, releases) and administrative set-up
  (``admin.*``, which would describe other family members' relationships) are left out;
- staff are named by organisation and role, never by name, unless the entry says policy allows it
  (``details["actor_named"]`` true); the entry holds identifiers, never record contents.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from audit import repository as audit_repository
from audit.models import AuditEntry
from consent.models import Organisation
from consent.standing import subjects_decided_by
from consent.vocabulary import DATA_CATEGORIES, PURPOSES

FAMILY_ROLE = "family"
RELEASE_EVENT = "audit.released"

WHAT = {
    "record_request.made": "asked for information about your child",
    "decision.made": "asked to see information, and the request was decided",
    "disclosure.made": "was shown information about your child",
    "break_glass.opened": "looked at information in an emergency to keep your child safe",
    "break_glass.reviewed": "reviewed an emergency look at your child's information",
    "break_glass.case_read": "looked at your child's assessment in an emergency to keep your child safe",
    "assessment.opened": "opened an education, health and care needs assessment",
    "assessment.closed": "closed the education, health and care needs assessment",
    "advice_request.created": "asked for advice for the assessment",
    "gather.completed": "gathered what the permissions allow from the services",
    "consent.granted": "permission was given",
    "consent.changed": "permission was changed",
    "consent.withdrawn": "permission was withdrawn",
    "consent.expired": "permission ran out",
    "consent_request.created": "asked for your permission",
    "consent_request.answered": "a request for permission was answered",
    "identity.matched": "matched your child's records between systems",
    "identity_link.auto_link": "matched your child's records between systems",
    "identity_link.queued": "found a possible match for your child's records, for a person to check",
    "identity_link.confirm": "checked and confirmed a match of your child's records between systems",
    "identity_link.reject": "checked a possible match and found it was someone else",
    "identity_link.unlink": "removed a wrong match of your child's records between systems",
    "identity_link.undo": "undid the last change to a match of your child's records",
    "identity_link.holder_changed": "noted that your child's school records are now held by another school",
    "identity.unmatched": "unmatched your child's records between systems",
    "records.shredded": "erased the copies of your child's records the broker kept",
    "records.erased": "erased copies of your child's records the broker no longer needed or had permission to keep",
    "subject_access.exported": "prepared a copy of everything the broker holds about your child",
    "records.previewed": "looked at a preview of what the services would share",
}

WHY = {
    "EHC_NEEDS_ASSESSMENT": "an education, health and care needs assessment",
    "EHC_ANNUAL_REVIEW": "the annual review of the education, health and care plan",
    "SAFEGUARDING": "keeping your child safe (safeguarding)",
}


def _category_words(code: str) -> str:
    known = DATA_CATEGORIES.get(code.upper())
    return known.label if known else code.replace("_", " ").lower()


def _purpose_words(code: str | None) -> str | None:
    if not code:
        return None
    known = PURPOSES.get(code.upper())
    return WHY.get(code.upper()) or (known.label if known else code.replace("_", " ").lower())

OUTCOMES = {"permit": "allowed", "deny": "refused", "refused": "refused", "error": "did not complete", "success": "done"}


@dataclass(frozen=True)
class AccessLogEntry:
    """One line of a family's access log (its position in the log is kept out of it)."""

    when: datetime
    who: str
    what: str
    category: str | None
    why: str | None
    permission: str | None
    outcome: str


def _is_safeguarding(entry: AuditEntry) -> bool:
    return (entry.purpose or "").upper() == "SAFEGUARDING" or entry.event_type.startswith("break_glass.")


def _visible(entry: AuditEntry, caller: str, released: set[int]) -> bool:
    details = entry.details_data
    if entry.actor_role == FAMILY_ROLE and entry.actor_user_id != caller:
        return False
    private_to = details.get("private_to")
    if private_to is not None and caller not in {str(p) for p in private_to}:
        return False
    # Refused and failed requests saw nothing: they belong to IG's view, not the family's.
    if entry.event_type.startswith(("audit.", "admin.", "request.")):
        return False
    return not _is_safeguarding(entry) or entry.seq in released


def _permission(details: dict[str, Any]) -> str | None:
    if details.get("consent_id"):
        version = details.get("consent_version")
        return "your permission" + (f" (version {version})" if version else "")
    if details.get("legal_basis"):
        return str(details["legal_basis"])
    return None


def access_log(
    session: Session, caller_user_id: uuid.UUID, caller_person_id: uuid.UUID | None, subject_id: uuid.UUID,
    on: date, *, after_seq: int | None = None, limit: int = 50,
) -> list[tuple[int, AccessLogEntry]] | None:
    """The caller's plain-language access log of ``subject_id`` as (entry number, line) pairs.

    None if the caller may not decide for the subject.
    """
    if caller_person_id is None or subject_id not in subjects_decided_by(session, caller_person_id, on):
        return None
    caller = str(caller_user_id)
    released = {
        int(e.details_data["released_seq"])
        for e in audit_repository.find_entries(session, subject_id=str(subject_id), event_types=[RELEASE_EVENT])
        if "released_seq" in e.details_data
    }
    shown: list[tuple[int, AccessLogEntry]] = []
    position = after_seq
    organisations: dict[str, str] = {}
    while len(shown) < limit:
        batch = audit_repository.find_entries(session, subject_id=str(subject_id), after_seq=position, limit=200)
        if not batch:
            break
        for entry in batch:
            position = entry.seq
            if _visible(entry, caller, released):
                shown.append((entry.seq, _describe(session, entry, caller, organisations)))
                if len(shown) == limit:
                    break
    return shown


def _describe(session: Session, entry: AuditEntry, caller: str, organisations: dict[str, str]) -> AccessLogEntry:
    details = entry.details_data
    if entry.actor_user_id == caller:
        who = "You"
    else:
        org_id = entry.actor_organisation_id
        if org_id and org_id not in organisations:
            try:
                name = session.execute(select(Organisation.name).where(Organisation.id == uuid.UUID(org_id))).scalar()
            except ValueError:
                name = None
            organisations[org_id] = name or "an organisation"
        role = (entry.actor_role or "staff").replace("_", " ")
        who = f"a {role} at {organisations[org_id]}" if org_id else f"a {role}"
        if details.get("actor_named") and entry.actor_username:
            who = f"{entry.actor_username} ({who})"
    categories = details.get("categories") or details.get("category")
    if categories and not isinstance(categories, list):
        categories = [categories]
    return AccessLogEntry(
        when=entry.recorded_at,
        who=who,
        what=WHAT.get(entry.event_type, entry.event_type.replace(".", " ").replace("_", " ")),
        category="; ".join(_category_words(str(c)) for c in categories) if categories else None,
        why=_purpose_words(entry.purpose),
        permission=_permission(details),
        outcome=OUTCOMES.get(entry.outcome, entry.outcome),
    )
