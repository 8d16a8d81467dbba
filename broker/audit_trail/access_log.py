"""A family's view of the audit log: who has seen or asked for their child's information, newest first.

Shown to someone who may decide for the subject (``consent.standing.subjects_decided_by``), in plain
language from the event catalogue's wording, and filtered so that one family member never learns
another's private business:

- actions by other family members are left out (a separated parent does not see the other
  parent's consents, requests or sign-ins); the caller's own actions are shown as "You";
- an entry whose ``details["private_to"]`` lists person ids is shown only to those people;
- safeguarding access (purpose ``SAFEGUARDING`` or a ``break_glass.*`` event) is shown only after
  information governance has released it (an ``audit.released`` entry naming its number);
- the log's own bookkeeping (``audit.*``), administrative set-up (``admin.*``) and refused or
  failed requests (``request.*``) are left out;
- staff are described by role and organisation in words ("a caseworker at Northshire SEN team"),
  never by username.

The entries one request wrote (a gather writes a decision and a disclosure per service) fold into
one line per kind of event, and so do repeated identical entries written outside any request
on the same day ("3 times").  Pages run newest first and are reached through signed cursors
bound to the caller and the child, so no page is ever skipped or capped and a cursor cannot be
used to read another child's history.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from itsdangerous import BadData, URLSafeSerializer
from sqlalchemy.orm import Session

from audit import repository as audit_repository
from audit.models import AuditEntry
from broker.audit_trail.catalogue import EventType, catalogued
from broker.platform.errors import NotFound
from consent.repository import names_of_organisations
from consent.standing import subjects_decided_by
from consent.vocabulary import DATA_CATEGORIES, PURPOSES

FAMILY_ROLE = "family"
HIDDEN_FAMILIES = ("audit.", "admin.", "request.")
SAFEGUARDING = "SAFEGUARDING"
BATCH = 200
CURSOR_SALT = "family-access-history"

ROLES = {
    "caseworker": "a caseworker", "safeguarding_lead": "a safeguarding lead",
    "ig_auditor": "an information governance officer", "admin": "an administrator",
    "system": "the service itself", "operator": "the council's system administrator",
}
WHY = {
    "EHC_NEEDS_ASSESSMENT": "an education, health and care needs assessment",
    "EHC_ANNUAL_REVIEW": "the annual review of the education, health and care plan",
    SAFEGUARDING: "keeping your child safe (safeguarding)",
}
OUTCOMES = {"permit": "allowed", "deny": "refused", "refused": "refused", "error": "did not complete",
            "success": "done"}
ANSWERS = {"approve_all": "agreed to all of it", "approve_part": "agreed to part of it", "decline": "said no"}
SHARING = frozenset({EventType.RECORDS_DISCLOSED, EventType.RECORDS_REUSED, EventType.BUNDLE_SERVED})


@dataclass(frozen=True)
class AccessLogEntry:
    """One line of a family's history: one event, or the same kind of event folded together.

    ``when`` is the newest of the folded entries and ``since`` the oldest (None for one entry);
    ``given`` and ``not_given`` are the categories a decision released and withheld; ``shared``
    says whether information was actually handed over.
    """

    when: datetime
    since: datetime | None
    who: str
    what: str
    category: str | None
    why: str | None
    permission: str | None
    outcome: str
    given: list[str]
    not_given: list[str]
    shared: bool
    times: int


@dataclass(frozen=True)
class AccessLogPage:
    """A page of lines, newest first, with the cursors of the older and newer pages (None at either end)."""

    lines: list[AccessLogEntry]
    older: str | None
    newer: str | None


# --- Cursors ------------------------------------------------------------------------------------

def _serializer(secret: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret, salt=CURSOR_SALT)


def _cursor(secret: str, caller: uuid.UUID, subject_id: uuid.UUID, direction: str, seq: int) -> str:
    return str(_serializer(secret).dumps({"u": str(caller), "s": str(subject_id), "d": direction, "q": seq}))


def _open_cursor(secret: str, caller: uuid.UUID, subject_id: uuid.UUID, cursor: str) -> tuple[str, int]:
    """(direction, entry number) of a cursor this service gave this caller for this child; any
    other cursor (forged, altered, another child's or another person's) is answered as not found."""
    try:
        data = _serializer(secret).loads(cursor)
    except BadData:
        raise NotFound("There is no such page of this history.") from None
    if (not isinstance(data, dict) or data.get("u") != str(caller) or data.get("s") != str(subject_id)
            or data.get("d") not in ("older", "newer") or not isinstance(data.get("q"), int)):
        raise NotFound("There is no such page of this history.")
    return data["d"], data["q"]


# --- Which entries the caller sees, and how they fold ---------------------------------------------

def _is_safeguarding(entry: AuditEntry) -> bool:
    return (entry.purpose or "").upper() == SAFEGUARDING or entry.event_type.startswith("break_glass.")


def _visible(entry: AuditEntry, caller: str, released: set[int]) -> bool:
    if entry.actor_role == FAMILY_ROLE and entry.actor_user_id != caller:
        return False
    private_to = entry.details_data.get("private_to")
    if private_to is not None and caller not in {str(p) for p in private_to}:
        return False
    if entry.event_type.startswith(HIDDEN_FAMILIES):
        return False
    return not _is_safeguarding(entry) or entry.seq in released


def _categories_of(details: dict[str, Any]) -> list[str]:
    found = details.get("categories") or details.get("category") or []
    if not isinstance(found, list):
        found = [found]
    found = found + list(details.get("permitted") or []) + list(details.get("denied") or [])
    return [str(c) for c in found]


def _same_run(a: AuditEntry, b: AuditEntry) -> bool:
    """Whether two neighbouring entries belong on one line: written by one request, or identical
    entries outside any request on the same day."""
    if a.request_id or b.request_id:
        return a.request_id == b.request_id
    return (a.event_type, a.actor_user_id, a.actor_username, a.actor_organisation_id, a.purpose,
            a.recorded_at.date(), sorted(_categories_of(a.details_data))) == (
            b.event_type, b.actor_user_id, b.actor_username, b.actor_organisation_id, b.purpose,
            b.recorded_at.date(), sorted(_categories_of(b.details_data)))


def _visible_entries(session: Session, subject_id: str, caller: str, released: set[int], direction: str,
                     start: int | None) -> Iterator[AuditEntry]:
    position = start
    while True:
        if direction == "older":
            batch = audit_repository.find_entries(session, subject_id=subject_id, seqs_below=position,
                                                  newest_first=True, limit=BATCH)
        else:
            batch = audit_repository.find_entries(session, subject_id=subject_id, after_seq=position, limit=BATCH)
        if not batch:
            return
        for entry in batch:
            if _visible(entry, caller, released):
                yield entry
        position = batch[-1].seq


def _runs(entries: Iterator[AuditEntry], limit: int) -> tuple[list[list[AuditEntry]], bool]:
    """Up to ``limit`` runs of entries that fold together, and whether any entry is left over."""
    runs: list[list[AuditEntry]] = []
    for entry in entries:
        if runs and _same_run(runs[-1][-1], entry):
            runs[-1].append(entry)
            continue
        if len(runs) == limit:
            return runs, True
        runs.append([entry])
    return runs, False


# --- Words ------------------------------------------------------------------------------------------

def _category_words(code: str) -> str:
    known = DATA_CATEGORIES.get(code.upper())
    return known.label if known else "other information"


def _purpose_words(code: str | None) -> str | None:
    if not code:
        return None
    known = PURPOSES.get(code.upper())
    return WHY.get(code.upper()) or (known.label if known else "another purpose")


def _listed(words: Sequence[str]) -> str:
    unique = list(dict.fromkeys(words))
    return unique[0] if len(unique) == 1 else ", ".join(unique[:-1]) + " and " + unique[-1]


class _Names:
    """Organisation names, looked up once per page."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self._known: dict[str, str] = {}

    def of(self, ids: Sequence[str | None]) -> list[str]:
        wanted = {i for i in ids if i and i not in self._known}
        parsed = {}
        for value in wanted:
            try:
                parsed[uuid.UUID(value)] = value
            except ValueError:
                self._known[value] = "another service"
        found = names_of_organisations(self._session, set(parsed)) if parsed else {}
        for key, value in parsed.items():
            self._known[value] = found.get(key, "another service")
        return [self._known[i] for i in ids if i]


def _who(entry: AuditEntry, caller: str, names: _Names) -> str:
    if entry.actor_user_id == caller:
        return "You"
    role = ROLES.get(entry.actor_role or "", "a member of staff")
    organisation = names.of([entry.actor_organisation_id])
    return f"{role} at {organisation[0]}" if organisation else role


def _basis(entries: list[AuditEntry]) -> str | None:
    bases = []
    for entry in entries:
        details = entry.details_data
        if _is_safeguarding(entry):
            bases.append("to keep your child safe; information governance has let you see this")
        if details.get("consents") or details.get("consent_id"):
            bases.append("your family's permission")
        if details.get("statutory"):
            bases.append("the council's statutory duty")
        for item in details.get("items") or []:
            if isinstance(item, dict) and item.get("basis") == "permission":
                bases.append("your family's permission")
            elif isinstance(item, dict) and item.get("basis") == "public_task":
                bases.append("the council's statutory duty")
    return _listed(bases) if bases else None


def _line(entries: list[AuditEntry], caller: str, names: _Names, folded: bool) -> AccessLogEntry:
    """One line for entries of one kind (newest first)."""
    first = entries[0]
    event_type = catalogued(first.event_type)
    categories: list[str] = []
    holders: list[str | None] = []
    recipients: list[str | None] = []
    given: list[str] = []
    not_given: list[str] = []
    shared = False
    for entry in entries:
        details = entry.details_data
        categories += _categories_of(details)
        holders += [details.get("holder")] + list(details.get("holders") or [])
        recipients += [details.get("recipient")] + list(details.get("recipients") or [])
        given += [str(c) for c in details.get("permitted") or []]
        not_given += [str(c) for c in details.get("denied") or [] if c not in given]
        shared = shared or (event_type in SHARING and bool(details.get("items")))
    if not recipients or not any(recipients):
        recipients = [first.actor_organisation_id]
    category_words = [_category_words(c) for c in dict.fromkeys(categories)]
    holder_names, recipient_names = names.of(list(dict.fromkeys(holders))), names.of(list(dict.fromkeys(recipients)))
    template = event_type.family if event_type else "did something with your child's information"
    what = template.format(
        categories=_listed(category_words) if category_words else "information",
        holder=_listed(holder_names) if holder_names else "another service",
        recipient=_listed(recipient_names) if recipient_names else "another service",
    )
    given_words = [_category_words(c) for c in dict.fromkeys(given)]
    withheld_words = [_category_words(c) for c in dict.fromkeys(not_given) if c not in given]
    if event_type is EventType.DECISION_MADE:
        outcome = ("given" if not withheld_words else "not given" if not given_words else "partly given")
    elif event_type is EventType.CONSENT_REQUEST_ANSWERED:
        outcome = ANSWERS.get(str(first.details_data.get("answer")), "answered")
        what = f"{what}: {outcome}"
    else:
        outcome = OUTCOMES.get(first.outcome, first.outcome)
    return AccessLogEntry(
        when=entries[0].recorded_at, since=entries[-1].recorded_at if len(entries) > 1 else None,
        who=_who(first, caller, names), what=what[:1].upper() + what[1:],
        category=_listed(category_words) if category_words else None, why=_purpose_words(first.purpose),
        permission=_basis(entries), outcome=outcome, given=given_words, not_given=withheld_words,
        shared=shared, times=len(entries) if folded else 1,
    )


# The young person reads their own history: "your child" is them.
_TO_SELF = (("your child's", "your"), ("your child", "you"), ("your family's permission", "your permission"))


def _to_self(text: str | None) -> str | None:
    for parent_words, own_words in _TO_SELF:
        text = text.replace(parent_words, own_words) if text else text
    return text


def _lines(run: list[AuditEntry], caller: str, names: _Names, is_self: bool) -> list[AccessLogEntry]:
    """A run (newest first) as lines: one per kind of event, in the order they were last written."""
    kinds: dict[str, list[AuditEntry]] = {}
    for entry in run:
        kinds.setdefault(entry.event_type, []).append(entry)
    folded = run[0].request_id is None
    lines = [_line(entries, caller, names, folded) for entries in kinds.values()]
    if is_self:
        lines = [replace(line, what=_to_self(line.what) or line.what, why=_to_self(line.why),
                         permission=_to_self(line.permission)) for line in lines]
    return lines


# --- The page -------------------------------------------------------------------------------------

def access_log(
    session: Session, caller_user_id: uuid.UUID, caller_person_id: uuid.UUID | None, subject_id: uuid.UUID,
    on: date, *, secret: str, cursor: str | None = None, limit: int = 50,
) -> AccessLogPage | None:
    """A page of the caller's plain-language history of ``subject_id``, newest first.

    ``limit`` counts runs (the entries of one request, or identical entries of one day), each one
    or more lines; ``cursor`` is a page's ``older`` or ``newer``.
    None if the caller may not decide for the subject; :class:`NotFound` for a cursor this service
    did not give this caller for this child.
    """
    if caller_person_id is None or subject_id not in subjects_decided_by(session, caller_person_id, on):
        return None
    direction, start = ("older", None) if cursor is None else _open_cursor(secret, caller_user_id, subject_id, cursor)
    caller, subject = str(caller_user_id), str(subject_id)
    released = {
        int(e.details_data["released_seq"])
        for e in audit_repository.find_entries(session, subject_id=subject,
                                               event_types=[EventType.AUDIT_RELEASED.value])
        if "released_seq" in e.details_data
    }
    runs, more = _runs(_visible_entries(session, subject, caller, released, direction, start), limit)
    if direction == "newer" and not more:
        # Back at the newest entries: answer the first page, so its lines are the same ones every time.
        return access_log(session, caller_user_id, caller_person_id, subject_id, on, secret=secret, limit=limit)
    if direction == "newer":
        runs = [list(reversed(run)) for run in reversed(runs)]
    names = _Names(session)
    is_self = caller_person_id == subject_id
    lines = [line for run in runs for line in _lines(run, caller, names, is_self)]
    if not runs:
        return AccessLogPage([], None, None)
    newest, oldest = runs[0][0].seq, runs[-1][-1].seq
    has_older = more if direction == "older" else True
    has_newer = start is not None if direction == "older" else True
    return AccessLogPage(
        lines,
        older=_cursor(secret, caller_user_id, subject_id, "older", oldest) if has_older else None,
        newer=_cursor(secret, caller_user_id, subject_id, "newer", newest) if has_newer else None,
    )
