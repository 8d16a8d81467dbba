"""The rules of the consent registry: grant, change, withdraw, request, answer, transition, decide.

Services flush and never commit: the caller's unit of work commits once.  Every function takes
the instant ``at`` it acts at (now, unless a caller replays), so that the rules are testable and
``decide`` is a pure function of stored state and time.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from consent import repository
from consent.errors import (
    Conflict,
    GrantorWithoutStanding,
    InvalidInput,
    NotFound,
    NotPermitted,
    UnknownReference,
)
from consent.models import (
    Consent,
    ConsentRequest,
    ConsentRequestAnswer,
    ConsentRequestDecider,
    ConsentScope,
    ConsentStatusEvent,
    ConsentVersion,
    Organisation,
    Person,
    utcnow,
)
from consent.schemas import (
    AnswerCreate,
    ConsentChange,
    ConsentCreate,
    ConsentRead,
    ConsentRequestCreate,
    ConsentRequestRead,
    ConsentVersionRead,
    ConsentWithdraw,
    DeciderRead,
    ScopeRow,
    StatusEventRead,
)
from consent.schooling import local_date, young_person_from
from consent.standing import Decider, deciders_for, is_young_person, standing_of
from consent.vocabulary import (
    CURRENT_NOTICE_VERSION,
    DATA_CATEGORIES,
    PARENTAL_STANDINGS,
    PURPOSES,
    Basis,
    Method,
    Standing,
    Status,
    check_categories,
    data_category,
)
from consent.vocabulary import (
    purpose as check_purpose,
)

COMPETENT_CHILD_MINIMUM_AGE = 12
TRANSITION_REQUEST_DAYS = 28
TRANSITION_DEFAULT_VALID_DAYS = 365


@dataclass(frozen=True)
class Actor:
    """Who is acting: a family member (``person_id`` is theirs) or a member of staff."""

    user_id: uuid.UUID | None
    name: str
    person_id: uuid.UUID | None = None
    organisation_id: uuid.UUID | None = None
    is_family: bool = False


#: The broker acting on its own (the end-of-compulsory-school-age transition).
AUTOMATIC = Actor(None, "the broker (automatic)")


@dataclass(frozen=True)
class CategoryDecision:
    category: str
    permitted: bool
    consent_id: uuid.UUID | None
    consent_version: int | None
    documents: list[str] | None
    reason: str


@dataclass(frozen=True)
class Decision:
    subject_id: uuid.UUID
    recipient_organisation_id: uuid.UUID
    purpose: str
    holder_organisation_id: uuid.UUID
    at: datetime
    categories: list[CategoryDecision]

    @property
    def permitted_categories(self) -> list[str]:
        return [c.category for c in self.categories if c.permitted]


# --- who may act ---------------------------------------------------------------------------

def _subject(session: Session, subject_id: uuid.UUID) -> Person:
    found = repository.subject(session, subject_id)
    if found is None:
        raise NotFound("no such subject")
    return found


def _family_subject(session: Session, actor: Actor, subject_id: uuid.UUID, at: datetime) -> Person:
    """The subject, if the actor may see it: families only the subjects they may decide for.

    Anyone else's child answers exactly as an unknown subject does.
    """
    subject = _subject(session, subject_id)
    if actor.is_family and not _family_may_decide(session, actor, subject, at):
        raise NotFound("no such subject")
    return subject


def _family_may_decide(session: Session, actor: Actor, subject: Person, at: datetime) -> bool:
    return actor.person_id is not None and (
        standing_of(session, subject, local_date(at), person_id=actor.person_id) is not None
    )


def subjects_visible_to(session: Session, actor: Actor, subject_id: uuid.UUID, at: datetime | None = None) -> Person:
    """The subject if ``actor`` may read about it (families: only those they decide for), else NotFound."""
    return _family_subject(session, actor, subject_id, at or utcnow())


def _grantor_standing(
    session: Session, subject: Person, at: datetime, *, person_id: uuid.UUID | None,
    organisation_id: uuid.UUID | None, evidence_ref: str | None,
) -> Standing:
    on = local_date(at)
    standing = standing_of(session, subject, on, person_id=person_id, organisation_id=organisation_id)
    if standing is not None:
        return standing
    if (
        person_id == subject.id and evidence_ref and subject.date_of_birth is not None
        and not is_young_person(subject, on) and _age(subject.date_of_birth, on) >= COMPETENT_CHILD_MINIMUM_AGE
    ):
        return Standing.competent_child
    raise GrantorWithoutStanding(
        "the grantor may not decide for this subject now: only a person with parental responsibility "
        "(without a court restriction) before the end of compulsory school age, and the young person "
        "or their recorded representative after it"
    )


def _age(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


# --- checking input -------------------------------------------------------------------------

def _check_scope(session: Session, rows: Sequence[ScopeRow]) -> list[ScopeRow]:
    for row in rows:
        data_category(row.data_category)
        check_purpose(row.purpose)
    _check_organisations(session, {r.recipient_organisation_id for r in rows} | {r.holder_organisation_id for r in rows})
    unique = {(r.data_category, r.purpose, r.recipient_organisation_id, r.holder_organisation_id, r.document_ref): r for r in rows}
    return list(unique.values())


def _check_organisations(session: Session, ids: Iterable[uuid.UUID]) -> None:
    wanted = set(ids)
    missing = wanted - repository.existing_organisation_ids(session, wanted)
    if missing:
        raise UnknownReference("unknown organisation(s): " + ", ".join(sorted(map(str, missing))))


def _check_period(valid_from: datetime, valid_until: datetime | None, at: datetime) -> None:
    if valid_until is None:
        return
    if valid_until <= valid_from:
        raise InvalidInput("the period ends before it starts: valid_until must be after valid_from")
    if valid_until <= at:
        raise InvalidInput("the period has already ended: valid_until must be in the future")


def _check_method(method: Method, witness_name: str | None, interpreter_language: str | None) -> None:
    if method is Method.verbal_with_witness and not witness_name:
        raise InvalidInput("a permission given verbally needs the witness's name (witness_name)")
    if method is Method.interpreter and not interpreter_language:
        raise InvalidInput("a permission given through an interpreter needs the language (interpreter_language)")


# --- status ---------------------------------------------------------------------------------

def version_status(
    version: ConsentVersion, events: Iterable[ConsentStatusEvent], date_of_birth: date | None, at: datetime
) -> Status:
    """A version's status at ``at``, from its recorded events, its period and the subject's age."""
    recorded = {e.status for e in events if e.consent_version_id == version.id and e.effective_at <= at}
    for status in (Status.withdrawn, Status.superseded, Status.expired):
        if status in recorded:
            return status
    if version.valid_until is not None and version.valid_until <= at:
        return Status.expired
    if version.standing in PARENTAL_STANDINGS and date_of_birth is not None and at >= young_person_from(date_of_birth):
        return Status.expired
    return Status.active


def _consent_reads(session: Session, consents: Sequence[Consent], at: datetime) -> list[ConsentRead]:
    if not consents:
        return []
    ids = [c.id for c in consents]
    versions = repository.versions_of(session, ids)
    scopes = repository.scopes_of(session, [v.id for v in versions])
    events = repository.events_of(session, ids)
    people = repository.names_of_people(session, {v.grantor_person_id for v in versions if v.grantor_person_id})
    orgs = repository.names_of_organisations(
        session, {v.grantor_organisation_id for v in versions if v.grantor_organisation_id}
    )
    births = {c.subject_id: repository.subject(session, c.subject_id).date_of_birth for c in consents}  # type: ignore[union-attr]
    version_numbers = {v.id: v.version for v in versions}
    result = []
    for consent in consents:
        mine = [v for v in versions if v.consent_id == consent.id]
        my_events = [e for e in events if e.consent_id == consent.id]
        version_reads = [
            ConsentVersionRead(
                id=v.id, version=v.version, basis=Basis(v.basis), grantor_person_id=v.grantor_person_id,
                grantor_organisation_id=v.grantor_organisation_id,
                grantor_name=people.get(v.grantor_person_id) or orgs.get(v.grantor_organisation_id) or "unknown",  # type: ignore[arg-type]
                standing=Standing(v.standing), standing_evidence_ref=v.standing_evidence_ref,
                method=Method(v.method), witness_name=v.witness_name, interpreter_language=v.interpreter_language,
                notice_version=v.notice_version, valid_from=v.valid_from, valid_until=v.valid_until,
                childs_views=v.childs_views, change_note=v.change_note, recorded_by_name=v.recorded_by_name,
                recorded_at=v.recorded_at,
                status=version_status(v, my_events, births[consent.subject_id], at),
                scope=[ScopeRow.model_validate(s) for s in scopes if s.consent_version_id == v.id],
            )
            for v in mine
        ]
        result.append(ConsentRead(
            id=consent.id, subject_id=consent.subject_id, status=version_reads[-1].status,
            current_version=version_reads[-1].version, created_at=consent.created_at, versions=version_reads,
            status_history=[
                StatusEventRead(
                    version=version_numbers[e.consent_version_id], status=Status(e.status),
                    effective_at=e.effective_at, recorded_by_name=e.recorded_by_name, reason=e.reason,
                )
                for e in sorted(my_events, key=lambda e: (e.effective_at, version_numbers[e.consent_version_id]))
            ],
        ))
    return result


def read_consent(session: Session, actor: Actor, consent_id: uuid.UUID, at: datetime | None = None) -> ConsentRead:
    """A consent with every version and its status history (families: only their children's)."""
    at = at or utcnow()
    consent = repository.consent(session, consent_id)
    if consent is None:
        raise NotFound("no such consent")
    try:
        _family_subject(session, actor, consent.subject_id, at)
    except NotFound:
        raise NotFound("no such consent") from None
    return _consent_reads(session, [consent], at)[0]


def list_consents(session: Session, actor: Actor, subject_id: uuid.UUID, at: datetime | None = None) -> list[ConsentRead]:
    """Every consent about a subject, oldest first."""
    at = at or utcnow()
    _family_subject(session, actor, subject_id, at)
    return _consent_reads(session, repository.consents_of_subject(session, subject_id), at)


# --- grant, change, withdraw ----------------------------------------------------------------

def _add_version(
    session: Session, consent: Consent, number: int, *, basis: str, grantor_person_id: uuid.UUID | None,
    grantor_organisation_id: uuid.UUID | None, standing: Standing, evidence_ref: str | None, method: Method,
    witness_name: str | None, interpreter_language: str | None, notice_version: str, valid_from: datetime,
    valid_until: datetime | None, childs_views: str | None, change_note: str | None, scope: Sequence[ScopeRow],
    actor: Actor, at: datetime,
) -> ConsentVersion:
    version = ConsentVersion(
        id=uuid.uuid4(), consent_id=consent.id, version=number, basis=basis, grantor_person_id=grantor_person_id,
        grantor_organisation_id=grantor_organisation_id, standing=standing.value, standing_evidence_ref=evidence_ref,
        method=method.value, witness_name=witness_name, interpreter_language=interpreter_language,
        notice_version=notice_version, valid_from=valid_from, valid_until=valid_until, childs_views=childs_views,
        change_note=change_note, recorded_by_user_id=actor.user_id, recorded_by_name=actor.name, recorded_at=at,
    )
    try:
        with session.begin_nested():
            session.add(version)
            session.flush()
    except IntegrityError:
        raise Conflict("the permission was changed at the same time by someone else; please try again") from None
    session.add_all([
        ConsentScope(
            id=uuid.uuid4(), consent_version_id=version.id, subject_id=consent.subject_id,
            data_category=row.data_category, purpose=row.purpose,
            recipient_organisation_id=row.recipient_organisation_id,
            holder_organisation_id=row.holder_organisation_id, document_ref=row.document_ref,
        )
        for row in scope
    ])
    session.add(ConsentStatusEvent(
        id=uuid.uuid4(), consent_id=consent.id, consent_version_id=version.id, status=Status.active.value,
        effective_at=at, actor_person_id=grantor_person_id, recorded_by_user_id=actor.user_id,
        recorded_by_name=actor.name, reason=change_note,
    ))
    session.flush()
    return version


def grant_consent(session: Session, actor: Actor, data: ConsentCreate, at: datetime | None = None) -> ConsentRead:
    """Record a permission given directly: version 1, active from ``valid_from``.

    A family member grants for themselves through the portal; staff record a permission given on
    paper, verbally with a witness or through an interpreter, naming the grantor.  The grantor must
    have standing at that moment (parental responsibility before the end of compulsory school age,
    the young person or their representative after it).
    """
    at = at or utcnow()
    subject = _family_subject(session, actor, data.subject_id, at)
    if actor.is_family:
        if data.grantor_person_id not in (None, actor.person_id) or data.grantor_organisation_id is not None:
            raise NotPermitted("a family member grants permission in their own name only")
        if data.method is not Method.portal:
            raise InvalidInput("permission given online uses the method 'portal'")
        grantor_person_id, grantor_organisation_id = actor.person_id, None
    else:
        if (data.grantor_person_id is None) == (data.grantor_organisation_id is None):
            raise InvalidInput("name the grantor: grantor_person_id, or grantor_organisation_id for a council with parental responsibility")
        if data.grantor_person_id is not None and data.method is Method.portal:
            raise InvalidInput("staff record paper, verbal_with_witness or interpreter permissions; families use the portal themselves")
        grantor_person_id, grantor_organisation_id = data.grantor_person_id, data.grantor_organisation_id
        if grantor_person_id is not None and repository.person(session, grantor_person_id) is None:
            raise UnknownReference("unknown grantor")
    _check_method(data.method, data.witness_name, data.interpreter_language)
    valid_from = data.valid_from or at
    _check_period(valid_from, data.valid_until, at)
    scope = _check_scope(session, data.scope)
    standing = _grantor_standing(
        session, subject, at, person_id=grantor_person_id, organisation_id=grantor_organisation_id,
        evidence_ref=data.standing_evidence_ref,
    )
    consent = _new_consent(session, subject.id, at)
    _add_version(
        session, consent, 1, basis=data.basis.value, grantor_person_id=grantor_person_id,
        grantor_organisation_id=grantor_organisation_id, standing=standing, evidence_ref=data.standing_evidence_ref,
        method=data.method, witness_name=data.witness_name, interpreter_language=data.interpreter_language,
        notice_version=data.notice_version, valid_from=valid_from, valid_until=data.valid_until,
        childs_views=data.childs_views, change_note=None, scope=scope, actor=actor, at=at,
    )
    return _consent_reads(session, [consent], at)[0]


def _new_consent(session: Session, subject_id: uuid.UUID, at: datetime) -> Consent:
    consent = Consent(id=uuid.uuid4(), subject_id=subject_id, created_at=at)
    repository.add(session, consent)
    return consent


def _current(session: Session, consent_id: uuid.UUID, actor: Actor, at: datetime) -> tuple[Consent, Person, ConsentVersion, Status]:
    consent = repository.consent(session, consent_id)
    if consent is None:
        raise NotFound("no such consent")
    try:
        subject = _family_subject(session, actor, consent.subject_id, at)
    except NotFound:
        raise NotFound("no such consent") from None
    version = repository.latest_version(session, consent.id)
    assert version is not None
    events = repository.events_of(session, [consent.id])
    return consent, subject, version, version_status(version, events, subject.date_of_birth, at)


def change_consent(
    session: Session, actor: Actor, consent_id: uuid.UUID, data: ConsentChange, at: datetime | None = None
) -> ConsentRead:
    """Change a permission: a new version (scope, period, views); the old version is superseded, not overwritten."""
    at = at or utcnow()
    consent, subject, current, status = _current(session, consent_id, actor, at)
    if status is not Status.active:
        raise Conflict(f"this permission is {status.value} and cannot be changed; give a new one instead")
    if actor.is_family:
        grantor_person_id, grantor_organisation_id = actor.person_id, None
        if data.method is not Method.portal:
            raise InvalidInput("changes made online use the method 'portal'")
    else:
        grantor_person_id, grantor_organisation_id = current.grantor_person_id, current.grantor_organisation_id
        if grantor_person_id is not None and data.method is Method.portal:
            raise InvalidInput("staff record changes given on paper, verbally with a witness or through an interpreter")
    _check_method(data.method, data.witness_name, data.interpreter_language)
    valid_until = data.valid_until if data.valid_until is not None else current.valid_until
    _check_period(current.valid_from, valid_until, at)
    scope = _check_scope(session, data.scope) if data.scope is not None else [
        ScopeRow.model_validate(s) for s in repository.scopes_of(session, [current.id])
    ]
    standing = _grantor_standing(
        session, subject, at, person_id=grantor_person_id, organisation_id=grantor_organisation_id,
        evidence_ref=current.standing_evidence_ref,
    )
    _add_version(
        session, consent, current.version + 1, basis=current.basis, grantor_person_id=grantor_person_id,
        grantor_organisation_id=grantor_organisation_id, standing=standing,
        evidence_ref=current.standing_evidence_ref, method=data.method, witness_name=data.witness_name,
        interpreter_language=data.interpreter_language, notice_version=CURRENT_NOTICE_VERSION,
        valid_from=current.valid_from, valid_until=valid_until,
        childs_views=data.childs_views if data.childs_views is not None else current.childs_views,
        change_note=data.note, scope=scope, actor=actor, at=at,
    )
    _add_event(session, current, Status.superseded, at, actor, grantor_person_id, data.note)
    return _consent_reads(session, [consent], at)[0]


def _add_event(
    session: Session, version: ConsentVersion, status: Status, at: datetime, actor: Actor,
    person_id: uuid.UUID | None, reason: str | None,
) -> None:
    try:
        with session.begin_nested():
            session.add(ConsentStatusEvent(
                id=uuid.uuid4(), consent_id=version.consent_id, consent_version_id=version.id, status=status.value,
                effective_at=at, actor_person_id=person_id, recorded_by_user_id=actor.user_id,
                recorded_by_name=actor.name, reason=reason,
            ))
            session.flush()
    except IntegrityError:
        raise Conflict(f"this permission is already {status.value}") from None


def withdraw_consent(
    session: Session, actor: Actor, consent_id: uuid.UUID, data: ConsentWithdraw, at: datetime | None = None
) -> ConsentRead:
    """Withdraw a permission. It stops permitting from ``at`` (the moment of the call, so a
    decision made after the withdrawal commits denies). Either parent may withdraw what the other
    gave; past disclosures stay lawful and audited."""
    at = at or utcnow()
    consent, subject, current, status = _current(session, consent_id, actor, at)
    if actor.is_family:
        person_id = actor.person_id
    elif data.withdrawn_by_person_id is not None:
        person_id = data.withdrawn_by_person_id
        if standing_of(session, subject, local_date(at), person_id=person_id) is None and person_id != current.grantor_person_id:
            raise GrantorWithoutStanding("the person named may not withdraw permission for this subject")
    elif current.grantor_organisation_id is not None:
        person_id = None
    else:
        raise InvalidInput("name the person who asked to withdraw (withdrawn_by_person_id)")
    if status is Status.withdrawn:
        raise Conflict("this permission has already been withdrawn")
    if status is not Status.active:
        raise Conflict(f"this permission has already {'ended' if status is Status.expired else 'been replaced'}")
    _add_event(session, current, Status.withdrawn, at, actor, person_id, data.reason)
    return _consent_reads(session, [consent], at)[0]


# --- the decision ---------------------------------------------------------------------------

@dataclass(frozen=True)
class _ScopeHistory:
    """One scope row of one version, and when that version ended in each way it has."""

    row: Any
    ended: dict[str, datetime]

    def in_force(self, at: datetime) -> bool:
        row = self.row
        return (
            row.recorded_at <= at and row.valid_from <= at
            and (row.valid_until is None or row.valid_until > at)
            and not any(when <= at for when in self.ended.values())
        )


def decide(
    session: Session, subject_id: uuid.UUID, recipient_organisation_id: uuid.UUID, purpose: str,
    categories: Sequence[str], holder_organisation_id: uuid.UUID, at: datetime,
) -> Decision:
    """For each category: may ``holder`` disclose it to ``recipient`` for ``purpose`` at ``at``?

    Deny unless a permission version in force at ``at`` covers exactly this subject, purpose,
    recipient, holder and category.  A pure function of stored state and ``at``: a version counts
    from when it was recorded and started until it ends, is withdrawn, expires or is superseded,
    and a parent's permission stops at the end of compulsory school age.  One indexed query.
    """
    wanted = check_categories(categories)
    check_purpose(purpose)
    rows = repository.decision_rows(session, subject_id, purpose, recipient_organisation_id, holder_organisation_id, wanted)
    if not rows:
        raise NotFound("no such subject")
    subject = rows[0]
    if not subject.recipient_exists:
        raise UnknownReference("unknown recipient organisation")
    if not subject.holder_exists:
        raise UnknownReference("unknown holder organisation")
    history: dict[uuid.UUID, _ScopeHistory] = {}
    for row in rows:
        if row.scope_id is None:
            continue
        entry = history.setdefault(row.scope_id, _ScopeHistory(row, {}))
        if row.ended_as is not None:
            entry.ended[row.ended_as] = row.ended_at
    parents_until = young_person_from(subject.date_of_birth) if subject.date_of_birth else None
    parental_over = parents_until is not None and at >= parents_until
    results = []
    for code in wanted:
        if code == "ID_CONTACT" and subject.address_confidential:
            results.append(_deny(code, "Contact details are withheld automatically because the address is confidential."))
            continue
        mine = [h for h in history.values() if h.row.data_category == code]
        usable = [h.row for h in mine if h.in_force(at) and not (h.row.standing in PARENTAL_STANDINGS and parental_over)]
        whole = next((r for r in usable if r.document_ref is None), None)
        if whole is not None:
            results.append(CategoryDecision(code, True, whole.consent_id, whole.version, None, _permit_reason(whole)))
        elif usable:
            first = usable[0]
            documents = sorted({r.document_ref for r in usable if r.consent_id == first.consent_id})
            results.append(CategoryDecision(
                code, True, first.consent_id, first.version, documents,
                _permit_reason(first) + f" Only the named document(s) may be shared: {', '.join(documents)}.",
            ))
        else:
            results.append(_deny(code, _refusal_reason(code, purpose, mine, at, parents_until)))
    return Decision(subject_id, recipient_organisation_id, purpose, holder_organisation_id, at, results)


def _when(moment: datetime) -> str:
    return f"{local_date(moment):%-d %B %Y}"


def _permit_reason(row: Any) -> str:
    until = f", until {_when(row.valid_until)}" if row.valid_until is not None else ", with no end date"
    return f"Permitted by the family's permission (version {row.version}{until})."


def _deny(code: str, reason: str) -> CategoryDecision:
    return CategoryDecision(code, False, None, None, None, reason)


def _refusal_reason(
    code: str, purpose: str, history: Sequence[_ScopeHistory], at: datetime, parents_until: datetime | None
) -> str:
    """Why nothing permits ``code``, from the newest permission that once covered it (if any)."""
    label = DATA_CATEGORIES[code].label
    for entry in history:
        row, ended = entry.row, {k: v for k, v in entry.ended.items() if v <= at}
        if row.recorded_at > at:
            continue
        if "withdrawn" in ended:
            return f"The permission that covered {label} was withdrawn on {_when(ended['withdrawn'])}."
        if "superseded" in ended:
            return f"The permission was changed on {_when(ended['superseded'])} and no longer covers {label}."
        if row.standing in PARENTAL_STANDINGS and parents_until is not None and at >= parents_until:
            return (
                f"The permission for {label} was given by a parent and stopped applying on {_when(parents_until)}, "
                "at the end of compulsory school age: the young person now decides."
            )
        if "expired" in ended or (row.valid_until is not None and row.valid_until <= at):
            return f"The permission that covered {label} ended on {_when(ended.get('expired') or row.valid_until)}."
        if row.valid_from > at:
            return f"The permission for {label} starts on {_when(row.valid_from)}."
    return (
        f"No permission covers {label} for {PURPOSES[purpose].label}, from this holder to this recipient. "
        "You may ask the family; if they say no, the work goes ahead on the other evidence."
    )


# --- consent requests -----------------------------------------------------------------------

def _request_read(session: Session, request: ConsentRequest, at: datetime) -> ConsentRequestRead:
    deciders = repository.deciders_of(session, request.id)
    answers = {a.decider_id: a for a in repository.answers_of(session, request.id)}
    people = repository.names_of_people(session, {d.person_id for d in deciders if d.person_id})
    orgs = repository.names_of_organisations(session, {d.organisation_id for d in deciders if d.organisation_id})
    distinct = {
        (a.answer, tuple(a.categories or ()), tuple(a.holder_organisation_ids or ()), a.valid_for_days)
        for a in answers.values()
    }
    if len(answers) == len(deciders):
        status = "answered"
    elif at >= request.expires_at:
        status = "expired"
    else:
        status = "open"
    return ConsentRequestRead(
        id=request.id, subject_id=request.subject_id, purpose=request.purpose, basis=Basis(request.basis),
        categories=request.categories, holder_organisation_ids=request.holder_organisation_ids,
        recipient_organisation_ids=request.recipient_organisation_ids, why=request.why,
        valid_for_days=request.valid_for_days, if_declined=request.if_declined, expires_at=request.expires_at,
        requested_by_name=request.requested_by_name, replaces_consent_id=request.replaces_consent_id,
        created_at=request.created_at, status=status, conflict=len(distinct) > 1,
        deciders=[
            DeciderRead(
                person_id=d.person_id, organisation_id=d.organisation_id,
                name=people.get(d.person_id) or orgs.get(d.organisation_id) or "unknown",  # type: ignore[arg-type]
                standing=Standing(d.standing), notified_at=d.notified_at,
                answer=answers[d.id].answer if d.id in answers else None,
                answered_at=answers[d.id].answered_at if d.id in answers else None,
                consent_id=answers[d.id].consent_id if d.id in answers else None,
            )
            for d in sorted(deciders, key=lambda d: (people.get(d.person_id) or orgs.get(d.organisation_id) or "", str(d.id)))  # type: ignore[arg-type]
        ],
    )


def read_request(session: Session, actor: Actor, request_id: uuid.UUID, at: datetime | None = None) -> ConsentRequestRead:
    """A consent request with each decider's answer (families: only requests they may answer)."""
    at = at or utcnow()
    request = repository.consent_request(session, request_id)
    if request is None or (actor.is_family and _decider_row(session, actor, request) is None):
        raise NotFound("no such consent request")
    return _request_read(session, request, at)


def list_requests(session: Session, actor: Actor, subject_id: uuid.UUID, at: datetime | None = None) -> list[ConsentRequestRead]:
    """Every consent request about a subject, oldest first."""
    at = at or utcnow()
    _family_subject(session, actor, subject_id, at)
    return [_request_read(session, r, at) for r in repository.requests_of_subject(session, subject_id)]


def _open_request(
    session: Session, actor: Actor, *, subject: Person, purpose: str, basis: str, categories: list[str],
    holders: list[uuid.UUID], recipients: list[uuid.UUID], why: str, valid_for_days: int, if_declined: str,
    expires_at: datetime, at: datetime, replaces_consent_id: uuid.UUID | None = None,
) -> tuple[ConsentRequestRead, list[Decider]]:
    deciders = deciders_for(session, subject, local_date(at))
    if not deciders:
        raise Conflict("nobody is recorded as able to decide for this subject; record parental responsibility first")
    request = ConsentRequest(
        id=uuid.uuid4(), subject_id=subject.id, purpose=purpose, basis=basis, categories=categories,
        holder_organisation_ids=[str(h) for h in holders], recipient_organisation_ids=[str(r) for r in recipients],
        why=why, valid_for_days=valid_for_days, if_declined=if_declined, expires_at=expires_at,
        requested_by_user_id=actor.user_id, requested_by_name=actor.name,
        requested_by_organisation_id=actor.organisation_id, replaces_consent_id=replaces_consent_id, created_at=at,
    )
    repository.add(session, request)
    repository.add(session, *[
        ConsentRequestDecider(
            id=uuid.uuid4(), request_id=request.id, person_id=d.person_id, organisation_id=d.organisation_id,
            standing=d.standing.value, notified_at=at,
        )
        for d in deciders
    ])
    return _request_read(session, request, at), deciders


def create_request(
    session: Session, actor: Actor, data: ConsentRequestCreate, at: datetime | None = None
) -> tuple[ConsentRequestRead, list[Decider]]:
    """Ask for permission. Returns the request and everyone who may decide (each must be told)."""
    at = at or utcnow()
    subject = _subject(session, data.subject_id)
    check_purpose(data.purpose)
    categories = check_categories(data.categories)
    holders = list(dict.fromkeys(data.holder_organisation_ids))
    recipients = list(dict.fromkeys(data.recipient_organisation_ids))
    _check_organisations(session, holders + recipients)
    if data.expires_at <= at:
        raise InvalidInput("the request must expire in the future (expires_at)")
    return _open_request(
        session, actor, subject=subject, purpose=data.purpose, basis=data.basis.value, categories=categories,
        holders=holders, recipients=recipients, why=data.why, valid_for_days=data.valid_for_days,
        if_declined=data.if_declined, expires_at=data.expires_at, at=at,
    )


def _decider_row(session: Session, actor: Actor, request: ConsentRequest) -> ConsentRequestDecider | None:
    for row in repository.deciders_of(session, request.id):
        if actor.is_family and row.person_id is not None and row.person_id == actor.person_id:
            return row
        if not actor.is_family and row.organisation_id is not None and actor.organisation_id is not None:
            staff_org = repository.organisation(session, actor.organisation_id)
            if row.organisation_id in (actor.organisation_id, staff_org.parent_id if staff_org else None):
                return row
    return None


def answer_request(
    session: Session, actor: Actor, request_id: uuid.UUID, data: AnswerCreate, at: datetime | None = None
) -> tuple[ConsentRequestRead, ConsentRead | None]:
    """Answer a request as one of its deciders: approve all, approve a narrower part, or decline.

    An approval becomes a consent granted by that decider.  Each decider answers once; when two
    parents answer differently both answers stand and the request is flagged as a conflict.
    """
    at = at or utcnow()
    request = repository.consent_request(session, request_id)
    decider = _decider_row(session, actor, request) if request is not None else None
    if request is None or decider is None:
        if request is not None and not actor.is_family:
            raise NotPermitted("only the people who may decide answer a consent request")
        raise NotFound("no such consent request")
    subject = _subject(session, request.subject_id)
    if standing_of(
        session, subject, local_date(at), person_id=decider.person_id, organisation_id=decider.organisation_id
    ) is None:
        raise Conflict("you can no longer decide for this subject; the request has gone to whoever decides now")
    if any(a.decider_id == decider.id for a in repository.answers_of(session, request.id)):
        raise Conflict("you have already answered this request")
    if at >= request.expires_at:
        raise Conflict("this request has expired; ask the caseworker to send a new one")
    categories, holders, days = request.categories, [uuid.UUID(h) for h in request.holder_organisation_ids], request.valid_for_days
    if data.answer == "approve_part":
        if data.categories is None and data.holder_organisation_ids is None and data.valid_for_days is None:
            raise InvalidInput("approving part of a request names the categories, holders or period approved")
        categories = _subset(data.categories, categories, "categories")
        holders = _subset(data.holder_organisation_ids, holders, "holders")
        if data.valid_for_days is not None:
            if data.valid_for_days > request.valid_for_days:
                raise InvalidInput(f"the period approved cannot be longer than the {request.valid_for_days} days asked for")
            days = data.valid_for_days
    elif data.categories or data.holder_organisation_ids or data.valid_for_days:
        raise InvalidInput("only 'approve_part' names categories, holders or a period")
    consent_read = None
    if data.answer != "decline":
        consent = _new_consent(session, subject.id, at)
        scope = [
            ScopeRow(data_category=c, purpose=request.purpose, recipient_organisation_id=uuid.UUID(r), holder_organisation_id=h)
            for c, r, h in itertools.product(categories, request.recipient_organisation_ids, holders)
        ]
        _add_version(
            session, consent, 1, basis=request.basis, grantor_person_id=decider.person_id,
            grantor_organisation_id=decider.organisation_id, standing=Standing(decider.standing), evidence_ref=None,
            method=Method.portal if actor.is_family else Method.paper, witness_name=None, interpreter_language=None,
            notice_version=CURRENT_NOTICE_VERSION, valid_from=at, valid_until=at + timedelta(days=days),
            childs_views=data.childs_views, change_note=f"answer to consent request {request.id}", scope=scope,
            actor=actor, at=at,
        )
        consent_read = _consent_reads(session, [consent], at)[0]
    try:
        with session.begin_nested():
            session.add(ConsentRequestAnswer(
                id=uuid.uuid4(), request_id=request.id, decider_id=decider.id, answer=data.answer,
                categories=categories if data.answer == "approve_part" else None,
                holder_organisation_ids=[str(h) for h in holders] if data.answer == "approve_part" else None,
                valid_for_days=days if data.answer == "approve_part" else None, note=data.note,
                consent_id=consent_read.id if consent_read else None, recorded_by_user_id=actor.user_id,
                recorded_by_name=actor.name, answered_at=at,
            ))
            session.flush()
    except IntegrityError:
        raise Conflict("you have already answered this request") from None
    return _request_read(session, request, at), consent_read


def _subset(chosen: Sequence[object] | None, asked: Sequence[object], what: str) -> list[Any]:
    if chosen is None:
        return list(asked)
    chosen = list(dict.fromkeys(chosen))
    extra = [str(c) for c in chosen if c not in asked]
    if extra:
        raise InvalidInput(f"you can approve only {what} that were asked for; not asked: {', '.join(extra)}")
    return chosen


# --- the end of compulsory school age -------------------------------------------------------

@dataclass(frozen=True)
class Transition:
    """What the transition did for one parental consent."""

    consent_id: uuid.UUID
    subject_id: uuid.UUID
    expired_at: datetime
    requests: list[tuple[ConsentRequestRead, list[Decider]]]


def transition_to_young_people(session: Session, at: datetime | None = None) -> list[Transition]:
    """Find every parental consent whose subject has reached the end of compulsory school age:
    record that it expired on that date and ask the young person afresh (one request per purpose).

    Idempotent: an expired consent is not found again, and a request that replaces a consent for a
    purpose exists at most once, so running it daily, or twice, does no harm.
    """
    at = at or utcnow()
    on = local_date(at)
    born_by = date(on.year - 15, on.month, 28 if (on.month, on.day) == (2, 29) else on.day)
    done = []
    for version, born in repository.parental_versions_in_force(session, born_by):
        ends = young_person_from(born)
        if at < ends:
            continue
        consent = repository.consent(session, version.consent_id)
        subject = _subject(session, consent.subject_id)  # type: ignore[union-attr]
        _add_event(session, version, Status.expired, ends, AUTOMATIC, None, "end of compulsory school age")
        scopes = repository.scopes_of(session, [version.id])
        requests = []
        for purpose_code in dict.fromkeys(s.purpose for s in scopes):
            if repository.request_for_replaced_consent(session, version.consent_id, purpose_code) is not None:
                continue
            rows = [s for s in scopes if s.purpose == purpose_code]
            remaining = (version.valid_until - at).days if version.valid_until else TRANSITION_DEFAULT_VALID_DAYS
            requests.append(_open_request(
                session, AUTOMATIC, subject=subject, purpose=purpose_code, basis=version.basis,
                categories=list(dict.fromkeys(r.data_category for r in rows)),
                holders=list(dict.fromkeys(r.holder_organisation_id for r in rows)),
                recipients=list(dict.fromkeys(r.recipient_organisation_id for r in rows)),
                why=(
                    f"You are now old enough to decide for yourself who sees your information. A parent agreed to "
                    f"share it for {PURPOSES[purpose_code].label}; that agreement stopped on {_when(ends)}. "
                    "Do you agree to carry on sharing it?"
                ),
                valid_for_days=max(remaining, 1), if_declined=(
                    "Nothing more is shared on your parent's agreement. The council's work goes ahead with "
                    "the information it can get in other ways."
                ),
                expires_at=at + timedelta(days=TRANSITION_REQUEST_DAYS), at=at, replaces_consent_id=version.consent_id,
            ))
        done.append(Transition(version.consent_id, subject.id, ends, requests))
    return done


# --- exports --------------------------------------------------------------------------------

def organisation_names(session: Session, consent: ConsentRead) -> dict[uuid.UUID, str]:
    """Names of every organisation a consent's versions mention."""
    ids = {s.recipient_organisation_id for v in consent.versions for s in v.scope}
    ids |= {s.holder_organisation_id for v in consent.versions for s in v.scope}
    ids |= {v.grantor_organisation_id for v in consent.versions if v.grantor_organisation_id}
    return repository.names_of_organisations(session, ids)


def controller_of(session: Session, consent: ConsentRead) -> Organisation:
    """The data controller for a consent: the top of the first recipient's organisation tree."""
    organisation = repository.organisation(session, consent.versions[-1].scope[0].recipient_organisation_id)
    assert organisation is not None
    while organisation.parent_id is not None:
        parent = repository.organisation(session, organisation.parent_id)
        if parent is None:
            break
        organisation = parent
    return organisation
