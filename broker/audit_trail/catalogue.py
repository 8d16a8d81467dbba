"""Every kind of audit event the broker writes: its type, its words for the family and for
information governance, and the one function that builds it.

Production code builds an ``audit.events.AuditEvent`` only here, and ``auditing.record`` refuses
an event whose type is not an :class:`EventType`, so nothing reaches the log that a family's
history cannot put into words.  A test walks ``broker/`` and fails if any other module constructs
an ``AuditEvent`` or names an event type that is not catalogued.

Each :class:`EventType` member carries three things:

- its dotted value, as stored in ``audit_entries.event_type`` (never change a value once written:
  the log is permanent; add a new member instead);
- ``family``: what happened to the child's information, as a phrase without a subject (the
  history adds who did it, in words: a role and an organisation, never a username).  It may name
  ``{categories}`` (the kinds of information, in words), ``{holder}`` (the service that holds them)
  and ``{recipient}`` (the service that received them), filled in from the entry's details;
- ``ig``: a short label for information governance's reports and searches.

Adding an event is a change to this module only:

1. add a member to :class:`EventType` with its value, family wording and IG label;
2. add a builder below, a function named after the event that takes typed keyword arguments and
   returns ``_event(EventType.THE_MEMBER, ...)``;
3. call the builder where the event happens and hand its result to ``auditing.record``.

A few builders serve a closed family of types chosen by a value production holds (``LINK_EVENTS``
for identity link actions, ``ASSESSMENT_STEPS``, ``ADVICE_CHANGES``; ``request_refused`` for refused
or failed requests): a new value there is a new member plus one entry in that dict, and a test
fails if a step, advice status or link action has none.

If the event's details name categories, a holder or a recipient, use the keys ``categories``,
``holder`` and ``recipient`` (organisation ids) so the family's history can word them.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from audit.events import AuditEvent
from broker.auth.principal import Principal
from broker.platform.logging import current_request_id


class EventType(StrEnum):
    """An audit event type, with its wording for the family (``family``) and for IG (``ig``)."""

    family: str
    ig: str

    def __new__(cls, value: str, family: str = "", ig: str = "") -> EventType:
        member = str.__new__(cls, value)
        member._value_ = value
        member.family = family
        member.ig = ig
        return member

    # Setting up the service (never shown to families: they would describe other people's business).
    ORGANISATION_ADDED = ("admin.organisation_added",
                          "added an organisation to the service's list", "Organisation added")
    ORGANISATION_CHANGED = ("admin.organisation_changed",
                            "changed the name of an organisation in the service's list", "Organisation renamed")
    PERSON_ADDED = ("admin.person_added", "added your child's details to the service", "Person added")
    RELATIONSHIP_ADDED = ("admin.relationship_added", "recorded who may make decisions for your child",
                          "Relationship added")
    USER_ADDED = ("admin.user_added", "gave someone an account on the service", "User account added")
    ACCOUNT_ADDED = ("admin.account_added", "added an account for someone to sign in to the service",
                     "Account added")
    ACCOUNT_BOUND = ("admin.account_bound",
                     "linked an account on the service to the sign-in service its owner uses",
                     "Account bound to an identity provider")
    ACCOUNT_ROLE_CHANGED = ("admin.account_role_changed", "changed what someone's account on the service may do",
                            "Account role changed")
    ACCOUNT_DISABLED = ("admin.account_disabled", "switched off someone's account on the service",
                        "Account disabled")
    ACCOUNT_ENABLED = ("admin.account_enabled", "switched someone's account on the service back on",
                       "Account enabled")

    # Finding the child, and matching the child's records between systems.
    CHILD_SEARCHED = ("child.searched", "searched for your child on the service", "Child searched for")
    LINK_AUTO = ("identity_link.auto_link", "matched your child's records between systems",
                 "Identity link made automatically")
    LINK_QUEUED = ("identity_link.queued",
                   "found a possible match for your child's records, for a person to check",
                   "Possible identity match queued for review")
    LINK_CONFIRMED = ("identity_link.confirm",
                      "checked and confirmed a match of your child's records between systems",
                      "Identity link confirmed")
    LINK_REJECTED = ("identity_link.reject", "checked a possible match and found it was someone else",
                     "Identity link rejected")
    LINK_UNLINKED = ("identity_link.unlink", "removed a wrong match of your child's records between systems",
                     "Identity link removed")
    LINK_UNDONE = ("identity_link.undo", "undid the last change to a match of your child's records",
                   "Identity link change undone")
    LINK_HOLDER_CHANGED = ("identity_link.holder_changed",
                           "noted that your child's school records are now held by another school",
                           "Record holder changed")

    # Permissions and decisions.
    CONSENT_GRANTED = ("consent.granted", "gave permission to share {categories} with {recipient}",
                       "Consent granted")
    CONSENT_CHANGED = ("consent.changed", "changed the permission to share {categories} with {recipient}",
                       "Consent changed")
    CONSENT_WITHDRAWN = ("consent.withdrawn", "withdrew the permission to share {categories} with {recipient}",
                         "Consent withdrawn")
    CONSENT_EXPIRED = ("consent.expired",
                       "ended a permission a parent gave, as the young person now makes these decisions",
                       "Consent expired")
    CONSENT_REQUEST_CREATED = ("consent_request.created", "asked for your permission to share {categories}",
                               "Consent requested")
    CONSENT_REQUEST_ANSWERED = ("consent_request.answered", "answered a request for permission",
                                "Consent request answered")
    DECISION_MADE = ("decision.made", "asked to see {categories} held by {holder}", "Access decision")

    # Records gathered, served, kept and erased.
    RECORDS_PREVIEWED = ("records.previewed", "looked at a preview of what the services would share",
                         "Records previewed")
    RECORDS_DISCLOSED = ("records.disclosed", "received {categories} from {holder}", "Records disclosed")
    RECORDS_REUSED = ("records.reused", "used again {categories} gathered earlier from {holder}",
                      "Stored records reused")
    GATHER_COMPLETED = ("gather.completed", "gathered what the law and your permissions allow from the services",
                        "Gather completed")
    BUNDLE_SERVED = ("bundle.served", "read the information gathered for the assessment", "Bundle served")
    EP_DOCUMENT_UPLOADED = ("ep_document.uploaded", "added a scanned paper report to your child's records",
                            "Paper EP report uploaded")
    RECORDS_ERASED = ("records.erased",
                      "erased copies of your child's records the service no longer needed or had permission to keep",
                      "Records erased")
    RECORDS_SHREDDED = ("records.shredded", "erased every copy of your child's records the service kept",
                        "Records shredded (keys destroyed)")
    SUBJECT_ACCESS_EXPORTED = ("subject_access.exported",
                               "prepared a copy of everything the service holds about your child",
                               "Subject access export")

    # The assessment.
    ASSESSMENT_OPENED = ("assessment.opened", "opened an education, health and care needs assessment",
                         "Assessment opened")
    ASSESSMENT_OPEN_REFUSED = ("assessment.open_refused",
                               "tried to open an assessment, and was refused", "Assessment opening refused")
    ASSESSMENT_CASE_OFFICER_CHANGED = ("assessment.case_officer_changed",
                                       "handed the assessment to another case officer", "Case officer changed")
    ASSESSMENT_DECISION_TO_ASSESS = ("assessment.step.decision_to_assess",
                                     "recorded whether the council will assess your child's needs",
                                     "Decision to assess recorded")
    ASSESSMENT_NOTICE_OF_NO_PLAN = ("assessment.step.notice_of_no_plan",
                                    "recorded that no education, health and care plan will be made",
                                    "Notice of no plan recorded")
    ASSESSMENT_DRAFT_PLAN = ("assessment.step.draft_plan",
                             "recorded that the draft education, health and care plan was sent to you",
                             "Draft plan recorded")
    ASSESSMENT_FINAL_PLAN = ("assessment.step.final_plan",
                             "recorded that the final education, health and care plan was issued",
                             "Final plan recorded")
    ASSESSMENT_CLOSED = ("assessment.closed", "closed the education, health and care needs assessment",
                         "Assessment closed")
    ADVICE_REQUESTED = ("advice_request.created", "asked for advice for the assessment", "Advice requested")
    ADVICE_RECEIVED = ("advice_request.received", "recorded that advice for the assessment arrived",
                       "Advice received")
    ADVICE_DECLINED = ("advice_request.declined", "recorded that advice for the assessment was declined",
                       "Advice declined")
    ADVICE_REUSED = ("advice_request.reused", "recorded that earlier advice will be used again, as agreed",
                     "Advice reused (reg 6(4))")
    CLOCK_EXCEPTION_RECORDED = ("clock_exception.recorded", "recorded a reason the assessment will take longer",
                                "Clock exception recorded")
    CLOCK_EXCEPTION_ENDED = ("clock_exception.ended", "recorded that the reason for the delay has ended",
                             "Clock exception ended")

    # Safeguarding (shown to the family only once information governance releases it).
    BREAK_GLASS_OPENED = ("break_glass.opened",
                          "looked at information in an emergency to keep your child safe", "Break-glass opened")
    BREAK_GLASS_CASE_READ = ("break_glass.case_read",
                             "looked at your child's assessment in an emergency to keep your child safe",
                             "Break-glass case read")
    BREAK_GLASS_REVIEWED = ("break_glass.reviewed", "reviewed an emergency look at your child's information",
                            "Break-glass reviewed")

    # The audit log's own bookkeeping and refused requests (information governance's view only).
    AUDIT_SEARCHED = ("audit.searched", "searched the record of who has seen information", "Audit log searched")
    AUDIT_EXPORTED = ("audit.exported", "exported the record of who has seen information", "Audit log exported")
    AUDIT_VERIFIED = ("audit.verified", "checked that the record of who has seen information is intact",
                      "Audit log verified")
    AUDIT_REPORTED = ("audit.reported", "ran a report on the record of who has seen information",
                      "Audit report run")
    AUDIT_RELEASED = ("audit.released", "let you see an emergency look at your child's information",
                      "Safeguarding entry released to the family")
    REQUEST_REFUSED = ("request.refused", "asked for something the service refused", "Request refused")
    REQUEST_FAILED = ("request.failed", "asked for something, and the service failed to answer",
                      "Request failed")


def catalogued(event_type: str) -> EventType | None:
    """The catalogued type of this stored value, or None."""
    try:
        return EventType(event_type)
    except ValueError:
        return None


# --- Who acted ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Operator:
    """Someone acting other than as a signed-in user: the broker itself, a command-line operator,
    the demo seed.  ``name`` is the account or process name, ``role`` a role code such as ``system``."""

    name: str
    role: str


BROKER = Operator("broker", "system")
Actor = Principal | Operator | None


def _actor(by: Actor) -> dict[str, str | None]:
    if isinstance(by, Principal):
        return {"actor_user_id": str(by.user_id), "actor_username": by.username, "actor_role": by.role.value,
                "actor_organisation_id": str(by.organisation_id) if by.organisation_id else None}
    operator = by or BROKER
    return {"actor_user_id": None, "actor_username": operator.name, "actor_role": operator.role,
            "actor_organisation_id": None}


def _id(value: object | None) -> str | None:
    return str(value) if value is not None else None


def _event(
    event_type: EventType, by: Actor, *, outcome: str = "success", subject_id: object | None = None,
    purpose: str | None = None, case_reference: str | None = None, reason: str | None = None,
    details: Mapping[str, Any] | None = None,
) -> AuditEvent:
    return AuditEvent(
        event_type=event_type.value, outcome=outcome, **_actor(by), subject_id=_id(subject_id), purpose=purpose,
        case_reference=case_reference, reason=reason, request_id=current_request_id(), details=dict(details or {}),
    )


# --- Setting up the service ---------------------------------------------------------------------

def organisation_added(by: Operator, *, organisation: Mapping[str, Any], reason: str) -> AuditEvent:
    """An organisation was added (``organisation``: its id, code, kind and URN)."""
    return _event(EventType.ORGANISATION_ADDED, by, reason=reason, details=organisation)


def organisation_changed(by: Operator, *, organisation: Mapping[str, Any], name_was: str, reason: str) -> AuditEvent:
    """An organisation's name changed."""
    return _event(EventType.ORGANISATION_CHANGED, by, reason=reason, details={**organisation, "name_was": name_was})


def person_added(by: Operator, *, subject_id: uuid.UUID | None, person_id: uuid.UUID, reason: str,
                 details: Mapping[str, Any]) -> AuditEvent:
    """A person was added (a child is the entry's subject; an adult is named by id only)."""
    return _event(EventType.PERSON_ADDED, by, subject_id=subject_id, reason=reason,
                  details={"person_id": str(person_id), **details})


def relationship_added(by: Operator, *, subject_id: uuid.UUID, reason: str, details: Mapping[str, Any]) -> AuditEvent:
    """Someone's relationship to a child (and whether they may decide for them) was recorded."""
    return _event(EventType.RELATIONSHIP_ADDED, by, subject_id=subject_id, reason=reason, details=details)


def user_added(by: Operator, *, reason: str, details: Mapping[str, Any]) -> AuditEvent:
    """An account was made."""
    return _event(EventType.USER_ADDED, by, reason=reason, details=details)


def _account(event_type: EventType, by: Actor, user_id: uuid.UUID, username: str, reason: str | None,
             details: Mapping[str, Any]) -> AuditEvent:
    return _event(event_type, by, reason=reason, details={"user_id": str(user_id), "username": username, **details})


def account_added(by: Principal | Operator, *, user_id: uuid.UUID, username: str, role: str, issuer: str | None,
                  external_subject: str | None) -> AuditEvent:
    """An account was added (its role, and the identity provider account it is bound to, if any)."""
    return _account(EventType.ACCOUNT_ADDED, by, user_id, username, None,
                    {"role": role, "issuer": issuer, "external_subject": external_subject})


def account_bound(by: Principal | Operator, *, user_id: uuid.UUID, username: str, issuer: str | None,
                  external_subject: str | None, was: Mapping[str, str | None]) -> AuditEvent:
    """An account was bound to an identity provider's account (``was``: the binding before)."""
    return _account(EventType.ACCOUNT_BOUND, by, user_id, username, None,
                    {"issuer": issuer, "external_subject": external_subject, "was": dict(was)})


def account_role_changed(by: Principal | Operator, *, user_id: uuid.UUID, username: str, role: str,
                         role_was: str) -> AuditEvent:
    """An account was given another role."""
    return _account(EventType.ACCOUNT_ROLE_CHANGED, by, user_id, username, None, {"role": role, "role_was": role_was})


def account_disabled(by: Principal | Operator, *, user_id: uuid.UUID, username: str, reason: str,
                     web_sessions_ended: int) -> AuditEvent:
    """An account was switched off, and its web sessions ended."""
    return _account(EventType.ACCOUNT_DISABLED, by, user_id, username, reason,
                    {"web_sessions_ended": web_sessions_ended})


def account_enabled(by: Principal | Operator, *, user_id: uuid.UUID, username: str, reason: str,
                    disabled_at: str) -> AuditEvent:
    """A disabled account was switched on again (``disabled_at``: since when it was off)."""
    return _account(EventType.ACCOUNT_ENABLED, by, user_id, username, reason, {"disabled_at": disabled_at})


# --- Finding and matching the child -------------------------------------------------------------

def child_searched(by: Principal, *, found: Sequence[uuid.UUID], searched_by: str) -> AuditEvent:
    """A member of staff searched for a child; the children found, never what was typed."""
    return _event(EventType.CHILD_SEARCHED, by, subject_id=found[0] if len(found) == 1 else None, details={
        "searched_by": searched_by, "found": len(found), "subject_ids": [str(s) for s in found]})


LINK_EVENTS = {
    "auto_link": EventType.LINK_AUTO, "queued": EventType.LINK_QUEUED, "confirm": EventType.LINK_CONFIRMED,
    "reject": EventType.LINK_REJECTED, "unlink": EventType.LINK_UNLINKED, "undo": EventType.LINK_UNDONE,
    "holder_changed": EventType.LINK_HOLDER_CHANGED,
}


def identity_link_changed(by: Principal, *, action: str, subject_id: uuid.UUID, link_id: uuid.UUID,
                          source_system: str, from_status: str | None, to_status: str, method: str | None,
                          reason: str | None, held_by: Mapping[str, str | None] | None = None) -> AuditEvent:
    """A change to a link between the child and a source system's record (``action`` one of
    ``LINK_EVENTS``; an unknown action is a programming error and raises KeyError)."""
    return _event(LINK_EVENTS[action], by, subject_id=subject_id, reason=reason, details={
        "link_id": str(link_id), "source_system": source_system, "from_status": from_status,
        "to_status": to_status, "method": method, **({"held_by": dict(held_by)} if held_by is not None else {})})


# --- Permissions and decisions -------------------------------------------------------------------

def consent_granted(by: Principal, *, subject_id: uuid.UUID, purposes: str, consent: Mapping[str, Any],
                    reason: str | None = None) -> AuditEvent:
    """A permission was given (``consent``: its id, version, basis, categories, holders, recipients)."""
    return _event(EventType.CONSENT_GRANTED, by, subject_id=subject_id, purpose=purposes, reason=reason,
                  details=consent)


def consent_changed(by: Principal, *, subject_id: uuid.UUID, purposes: str, consent: Mapping[str, Any],
                    reason: str | None) -> AuditEvent:
    """A permission was changed (a new version)."""
    return _event(EventType.CONSENT_CHANGED, by, subject_id=subject_id, purpose=purposes, reason=reason,
                  details=consent)


def consent_withdrawn(by: Principal, *, subject_id: uuid.UUID, purposes: str, consent: Mapping[str, Any],
                      reason: str | None) -> AuditEvent:
    """A permission was withdrawn."""
    return _event(EventType.CONSENT_WITHDRAWN, by, subject_id=subject_id, purpose=purposes, reason=reason,
                  details=consent)


def consent_expired(*, subject_id: uuid.UUID, consent_id: uuid.UUID, effective_at: str, reason: str) -> AuditEvent:
    """A parent's permission ended by itself (the young person decides now)."""
    return _event(EventType.CONSENT_EXPIRED, BROKER, subject_id=subject_id, reason=reason,
                  details={"consent_id": str(consent_id), "effective_at": effective_at})


def consent_request_created(by: Principal | None, *, subject_id: uuid.UUID, purpose: str, request_id: uuid.UUID,
                            categories: Sequence[str], holders: Sequence[str], recipients: Sequence[str],
                            deciders: int, notifications: int, replaces_consent_id: uuid.UUID | None) -> AuditEvent:
    """A request for permission was raised and each decider told."""
    return _event(EventType.CONSENT_REQUEST_CREATED, by, subject_id=subject_id, purpose=purpose, details={
        "request_id": str(request_id), "categories": list(categories), "holders": list(holders),
        "recipients": list(recipients), "deciders": deciders, "notifications": notifications,
        "replaces_consent_id": _id(replaces_consent_id)})


def consent_request_answered(by: Principal, *, subject_id: uuid.UUID, purpose: str, request_id: uuid.UUID,
                             answer: str, consent_id: uuid.UUID | None, conflict: bool, note: str | None) -> AuditEvent:
    """One decider answered a request for permission."""
    return _event(EventType.CONSENT_REQUEST_ANSWERED, by, subject_id=subject_id, purpose=purpose, reason=note,
                  details={"request_id": str(request_id), "answer": answer, "consent_id": _id(consent_id),
                           "conflict": conflict})


def decision_made(by: Principal, *, subject_id: uuid.UUID, purpose: str, case_reference: str | None = None,
                  recipient: uuid.UUID | None, holder: uuid.UUID | None, at: str, permitted: Sequence[str],
                  denied: Sequence[str], consents: Sequence[str], statutory: Sequence[str] | None = None,
                  held_by: str | None = None, reason: str | None = None,
                  documents: Mapping[str, Any] | None = None) -> AuditEvent:
    """Whether ``holder`` may release each category to ``recipient``: permit if any is, else deny
    (``documents``: per category, what the release policy decided document by document)."""
    details: dict[str, Any] = {"recipient": _id(recipient), "holder": _id(holder)}
    if held_by is not None:
        details["held_by"] = held_by
    details |= {"at": at, "permitted": list(permitted), "denied": list(denied), "consents": list(consents)}
    if statutory is not None:
        details["statutory"] = list(statutory)
    if documents is not None:
        details["documents"] = dict(documents)
    return _event(EventType.DECISION_MADE, by, outcome="permit" if permitted else "deny", subject_id=subject_id,
                  purpose=purpose, case_reference=case_reference, reason=reason, details=details)


# --- Records ---------------------------------------------------------------------------------------

def records_previewed(by: Principal, *, subject_id: uuid.UUID, purpose: str, consent_request_id: uuid.UUID,
                      categories: Sequence[str], sources_asked: Sequence[str], items_shown: int,
                      items_shared_without_it: int) -> AuditEvent:
    """A family member looked at a preview of what a request would share (and how many items are
    shared already on another basis, without the permission asked for)."""
    return _event(EventType.RECORDS_PREVIEWED, by, subject_id=subject_id, purpose=purpose, details={
        "consent_request_id": str(consent_request_id), "categories": list(categories),
        "sources_asked": list(sources_asked), "items_shown": items_shown,
        "items_shared_without_it": items_shared_without_it})


def records_disclosed(by: Principal, *, subject_id: uuid.UUID, purpose: str, case_reference: str | None,
                      source_system: str, holder: uuid.UUID, recipient: uuid.UUID, assessment_id: uuid.UUID | None,
                      categories: Sequence[str], items: Sequence[Mapping[str, Any]]) -> AuditEvent:
    """``holder`` released ``categories`` to ``recipient`` (items by id and content hash, never contents)."""
    return _event(EventType.RECORDS_DISCLOSED, by, subject_id=subject_id, purpose=purpose,
                  case_reference=case_reference, details={
                      "source_system": source_system, "holder": str(holder), "recipient": str(recipient),
                      "assessment_id": _id(assessment_id), "categories": sorted(set(categories)),
                      "items": [dict(i) for i in items]})


def records_reused(by: Principal, *, subject_id: uuid.UUID, purpose: str, case_reference: str | None,
                   source_system: str, holder: uuid.UUID, recipient: uuid.UUID, categories: Sequence[str],
                   items: Sequence[Mapping[str, Any]]) -> AuditEvent:
    """Items gathered earlier were served again instead of asking the source."""
    return _event(EventType.RECORDS_REUSED, by, subject_id=subject_id, purpose=purpose,
                  case_reference=case_reference, details={
                      "source_system": source_system, "holder": str(holder), "recipient": str(recipient),
                      "categories": sorted(set(categories)), "items": [dict(i) for i in items]})


def gather_completed(by: Principal, *, subject_id: uuid.UUID, purpose: str, case_reference: str | None,
                     summary: Mapping[str, Any]) -> AuditEvent:
    """What a gather answered, per source, by identifiers and codes only."""
    return _event(EventType.GATHER_COMPLETED, by, subject_id=subject_id, purpose=purpose,
                  case_reference=case_reference, details=summary)


def bundle_served(by: Principal, *, subject_id: uuid.UUID, purpose: str, case_reference: str | None,
                  items: Sequence[Mapping[str, Any]], not_served_categories: Sequence[str]) -> AuditEvent:
    """The stored items of an assessment were read (deny if none could be served)."""
    return _event(EventType.BUNDLE_SERVED, by, outcome="success" if items else "deny", subject_id=subject_id,
                  purpose=purpose, case_reference=case_reference, details={
                      "items": [dict(i) for i in items], "not_served_categories": list(not_served_categories)})


def ep_document_uploaded(by: Principal, *, subject_id: uuid.UUID, document_id: uuid.UUID, content_hash: str,
                         size_bytes: int, document_type: str) -> AuditEvent:
    """A scanned paper EP report was filed."""
    return _event(EventType.EP_DOCUMENT_UPLOADED, by, subject_id=subject_id, details={
        "document_id": str(document_id), "content_hash": content_hash, "size_bytes": size_bytes,
        "document_type": document_type})


def records_erased(by: Principal | Operator, *, subject_id: uuid.UUID, reason: str,
                   details: Mapping[str, Any]) -> AuditEvent:
    """Items past their retention or permission were deleted (ids, rules and deadlines only)."""
    return _event(EventType.RECORDS_ERASED, by, subject_id=subject_id, reason=reason, details=details)


def records_shredded(by: Operator | Principal, *, subject_id: uuid.UUID, reason: str,
                     data_key_ids: Sequence[uuid.UUID]) -> AuditEvent:
    """Every data key of the subject was destroyed."""
    return _event(EventType.RECORDS_SHREDDED, by, subject_id=subject_id, reason=reason, details={
        "data_key_ids": [str(k) for k in data_key_ids], "data_keys_destroyed": len(data_key_ids)})


def subject_access_exported(by: Principal | Operator, *, subject_id: uuid.UUID, fmt: str,
                            counts: Mapping[str, int]) -> AuditEvent:
    """A subject access export was produced (counts only)."""
    return _event(EventType.SUBJECT_ACCESS_EXPORTED, by, subject_id=subject_id, reason="subject access request",
                  details={"format": fmt, "counts": dict(counts)})


# --- The assessment -------------------------------------------------------------------------------

ASSESSMENT_STEPS = {
    "decision_to_assess": EventType.ASSESSMENT_DECISION_TO_ASSESS,
    "notice_of_no_plan": EventType.ASSESSMENT_NOTICE_OF_NO_PLAN,
    "draft_plan": EventType.ASSESSMENT_DRAFT_PLAN,
    "final_plan": EventType.ASSESSMENT_FINAL_PLAN,
}
ADVICE_CHANGES = {
    "received": EventType.ADVICE_RECEIVED, "declined": EventType.ADVICE_DECLINED, "reused": EventType.ADVICE_REUSED,
}


def _assessment(event_type: EventType, by: Principal, subject_id: uuid.UUID, purpose: str, case_reference: str,
                assessment_id: uuid.UUID, details: Mapping[str, Any]) -> AuditEvent:
    return _event(event_type, by, subject_id=subject_id, purpose=purpose, case_reference=case_reference,
                  details={"assessment_id": str(assessment_id), **{k: v for k, v in details.items() if v is not None}})


def assessment_opened(by: Principal, *, subject_id: uuid.UUID, purpose: str, case_reference: str,
                      assessment_id: uuid.UUID, details: Mapping[str, Any]) -> AuditEvent:
    """An assessment was opened."""
    return _assessment(EventType.ASSESSMENT_OPENED, by, subject_id, purpose, case_reference, assessment_id, details)


def assessment_open_refused(by: Principal, *, subject_id: uuid.UUID, purpose: str, reason: str) -> AuditEvent:
    """Opening an assessment for a purpose the caller's organisation may not use was refused."""
    return _event(EventType.ASSESSMENT_OPEN_REFUSED, by, outcome="refused", subject_id=subject_id, purpose=purpose,
                  reason=reason)


def case_officer_changed(by: Principal, *, subject_id: uuid.UUID, purpose: str, case_reference: str,
                         assessment_id: uuid.UUID, details: Mapping[str, Any]) -> AuditEvent:
    """The case was handed to another case officer."""
    return _assessment(EventType.ASSESSMENT_CASE_OFFICER_CHANGED, by, subject_id, purpose, case_reference,
                       assessment_id, details)


def assessment_step(by: Principal, *, step: str, subject_id: uuid.UUID, purpose: str, case_reference: str,
                    assessment_id: uuid.UUID, completed_on: str, decision: str | None) -> AuditEvent:
    """A statutory step was completed (``step`` one of ``ASSESSMENT_STEPS``)."""
    return _assessment(ASSESSMENT_STEPS[step], by, subject_id, purpose, case_reference, assessment_id,
                       {"completed_on": completed_on, "decision": decision})


def assessment_closed(by: Principal, *, subject_id: uuid.UUID, purpose: str, case_reference: str,
                      assessment_id: uuid.UUID) -> AuditEvent:
    """The assessment closed."""
    return _assessment(EventType.ASSESSMENT_CLOSED, by, subject_id, purpose, case_reference, assessment_id, {})


def advice_requested(by: Principal, *, subject_id: uuid.UUID, purpose: str, case_reference: str,
                     assessment_id: uuid.UUID, details: Mapping[str, Any]) -> AuditEvent:
    """Advice was requested for the assessment."""
    return _assessment(EventType.ADVICE_REQUESTED, by, subject_id, purpose, case_reference, assessment_id, details)


def advice_changed(by: Principal, *, status: str, subject_id: uuid.UUID, purpose: str, case_reference: str,
                   assessment_id: uuid.UUID, advice_request_id: uuid.UUID, advice_type: str) -> AuditEvent:
    """Advice was received, declined or reused (``status`` one of ``ADVICE_CHANGES``)."""
    return _assessment(ADVICE_CHANGES[status], by, subject_id, purpose, case_reference, assessment_id,
                       {"advice_request_id": str(advice_request_id), "advice_type": advice_type})


def clock_exception_recorded(by: Principal, *, subject_id: uuid.UUID, purpose: str, case_reference: str,
                             assessment_id: uuid.UUID, details: Mapping[str, Any]) -> AuditEvent:
    """An exception to the statutory time limits was recorded."""
    return _assessment(EventType.CLOCK_EXCEPTION_RECORDED, by, subject_id, purpose, case_reference, assessment_id,
                       details)


def clock_exception_ended(by: Principal, *, subject_id: uuid.UUID, purpose: str, case_reference: str,
                          assessment_id: uuid.UUID, details: Mapping[str, Any]) -> AuditEvent:
    """An exception to the statutory time limits ended."""
    return _assessment(EventType.CLOCK_EXCEPTION_ENDED, by, subject_id, purpose, case_reference, assessment_id,
                       details)


# --- Safeguarding ---------------------------------------------------------------------------------

SAFEGUARDING = "SAFEGUARDING"


def break_glass_opened(by: Principal, *, subject_id: uuid.UUID, reason: str, break_glass_id: uuid.UUID,
                       expires_at: str, review_due_on: str, excluded_categories: Sequence[str]) -> AuditEvent:
    """Emergency access was opened."""
    return _event(EventType.BREAK_GLASS_OPENED, by, subject_id=subject_id, purpose=SAFEGUARDING, reason=reason,
                  details={"break_glass_id": str(break_glass_id), "expires_at": expires_at,
                           "review_due_on": review_due_on, "excluded_categories": list(excluded_categories)})


def break_glass_case_read(by: Principal, *, subject_id: uuid.UUID, purpose: str, case_reference: str,
                          assessment_id: uuid.UUID, details: Mapping[str, Any]) -> AuditEvent:
    """A case was read under emergency access."""
    return _assessment(EventType.BREAK_GLASS_CASE_READ, by, subject_id, purpose, case_reference, assessment_id,
                       details)


def break_glass_reviewed(by: Principal, *, subject_id: uuid.UUID, break_glass_id: uuid.UUID, outcome: str,
                         released_to_family: bool) -> AuditEvent:
    """Information governance reviewed an emergency access."""
    return _event(EventType.BREAK_GLASS_REVIEWED, by, subject_id=subject_id, purpose=SAFEGUARDING, details={
        "break_glass_id": str(break_glass_id), "outcome": outcome, "released_to_family": released_to_family})


# --- The audit log's own bookkeeping and refused requests ---------------------------------------

def audit_searched(by: Principal, *, filters: Mapping[str, Any]) -> AuditEvent:
    """The log was searched, or one entry looked up (``filters`` as described, with ``results``)."""
    return _event(EventType.AUDIT_SEARCHED, by, subject_id=filters.get("subject_id"), details=filters)


def audit_exported(by: Principal | Operator, *, filters: Mapping[str, Any], reason: str | None = None) -> AuditEvent:
    """Entries were exported with their proofs."""
    return _event(EventType.AUDIT_EXPORTED, by, subject_id=filters.get("subject_id"), reason=reason, details=filters)


def audit_verified(by: Principal, *, ok: bool, entries_checked: int, checkpoints_checked: int,
                   first_bad_entry: int | None, bad_range: Sequence[int] | None = None) -> AuditEvent:
    """The whole log was verified (``bad_range``: the entries between checkpoints where only a
    signed root disagrees)."""
    return _event(EventType.AUDIT_VERIFIED, by, details={
        "ok": ok, "entries_checked": entries_checked, "checkpoints_checked": checkpoints_checked,
        "first_bad_entry": first_bad_entry, "bad_range": list(bad_range) if bad_range is not None else None})


def audit_reported(by: Principal, *, since: str, until: str, denials: int, unusual_users: int) -> AuditEvent:
    """IG's report of refusals and unusual volumes was run."""
    return _event(EventType.AUDIT_REPORTED, by, details={
        "since": since, "until": until, "denials": denials, "unusual_users": unusual_users})


def audit_released(by: Principal, *, subject_id: str, released_seq: int,
                   break_glass_id: uuid.UUID | None = None) -> AuditEvent:
    """A safeguarding entry was released to the family's history."""
    details: dict[str, Any] = {"released_seq": released_seq, "subject_id": subject_id}
    if break_glass_id is not None:
        details["break_glass_id"] = str(break_glass_id)
    return _event(EventType.AUDIT_RELEASED, by, subject_id=subject_id, details=details)


def request_refused(by: Principal, *, failed: bool, subject_id: str | None, reason: str,
                    request: Mapping[str, Any]) -> AuditEvent:
    """A signed-in caller's request was refused (``failed`` False) or failed with an error."""
    return _event(EventType.REQUEST_FAILED if failed else EventType.REQUEST_REFUSED, by,
                  outcome="error" if failed else "refused", subject_id=subject_id, reason=reason, details=request)
