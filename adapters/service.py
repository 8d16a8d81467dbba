"""The rules for identity links and the EP paper document store.  Services flush, never commit.

Links: a match verdict becomes a ``linked`` or ``pending_review`` link; caseworkers confirm,
reject, unlink or undo; every change is a row in the link's history.  Only ``linked`` links are
ever used to fetch: nothing is released about a person whose link is unconfirmed.  A link a
person rejected or unlinked is not re-created by automatic matching.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from adapters import repository
from adapters.errors import Conflict, InvalidInput, NotFound
from adapters.identity import Demographics, MatchDecision, Verdict, decide
from adapters.models import EpPaperDocument, IdentityLink, IdentityLinkChange, LinkStatus
from adapters.pdf_content import UnreadablePdf, active_content
from adapters.protocol import Candidate, utcnow
from adapters.sealing import DocumentSealer

SYSTEM_ACTOR = "system:matching"


@dataclass(frozen=True)
class LinkChange:
    """What changed, for the caller to audit.  ``holder_changed``: the source now names another
    holder of the record (``held_by_was`` before, ``link.held_by`` now); the status is unchanged."""

    link: IdentityLink
    action: str
    from_status: str | None
    to_status: str
    held_by_was: str | None = None


def _change(session: Session, link: IdentityLink, to_status: str, action: str, actor: str, reason: str | None) -> LinkChange:
    history = repository.changes_of(session, link.id)
    from_status = history[-1].to_status if history else None
    repository.add(session, IdentityLinkChange(
        link_id=link.id, sequence=len(history) + 1, from_status=from_status, to_status=to_status,
        action=action, actor=actor, reason=reason))
    link.status = to_status
    link.updated_at = utcnow()
    link.version += 1
    session.flush()
    return LinkChange(link, action, from_status, to_status)


def candidate_demographics(candidate: Candidate) -> Demographics:
    return Demographics.from_parts(
        given_name=candidate.given_name, family_name=candidate.family_name,
        date_of_birth=candidate.date_of_birth, sex=candidate.sex, postcode=candidate.postcode,
        identifiers=candidate.identifiers)


def record_matches(
    session: Session, person_id: uuid.UUID, subject: Demographics, candidates: Iterable[Candidate],
) -> list[LinkChange]:
    """Score ``candidates`` against the subject and store what the verdicts call for."""
    candidates = list(candidates)
    decisions = decide(subject, [candidate_demographics(c) for c in candidates])
    changes = []
    for decision in decisions:
        changes += _record(session, person_id, candidates[decision.candidate_index], decision)
    return changes


def _record(session: Session, person_id: uuid.UUID, candidate: Candidate, decision: MatchDecision) -> list[LinkChange]:
    if decision.verdict is Verdict.no_link:
        return []
    existing = repository.find_link(session, person_id, candidate.source_system, candidate.person_ref)
    target = LinkStatus.linked if decision.verdict is Verdict.auto_link else LinkStatus.pending_review
    if existing is not None:
        changes = []
        noted = note_holder(existing, candidate.held_by) if candidate.held_by is not None else None
        if noted is not None:
            changes.append(noted)
        # A person's decision stands; an automatic link only upgrades a pending review.
        if existing.status == LinkStatus.pending_review and target == LinkStatus.linked:
            changes.append(_change(session, existing, target, "auto_link", SYSTEM_ACTOR,
                                   "; ".join(decision.score.reasons)))
        return changes
    link = IdentityLink(
        person_id=person_id, source_system=candidate.source_system, source_person_ref=candidate.person_ref,
        status=target, method=decision.score.method, score=decision.score.score,
        reasons=list(decision.score.reasons),
        candidate={"given_name": candidate.given_name, "family_name": candidate.family_name,
                   "date_of_birth": candidate.date_of_birth.isoformat() if candidate.date_of_birth else None,
                   "sex": candidate.sex, "postcode": candidate.postcode},
        held_by=candidate.held_by)
    repository.add(session, link)
    action = "auto_link" if target == LinkStatus.linked else "queued"
    return [_change(session, link, target, action, SYSTEM_ACTOR, "; ".join(decision.score.reasons))]


def _link(session: Session, link_id: uuid.UUID, expected_version: int | None) -> IdentityLink:
    link = repository.get_link(session, link_id, for_update=True)
    if link is None:
        raise NotFound("no such identity link")
    if expected_version is not None and link.version != expected_version:
        raise Conflict("the link changed since you saw it; reload and try again")
    return link


def confirm_link(session: Session, link_id: uuid.UUID, actor: str, *, expected_version: int | None = None,
                 reason: str | None = None) -> LinkChange:
    """A caseworker confirms a link waiting for review."""
    link = _link(session, link_id, expected_version)
    if link.status != LinkStatus.pending_review:
        raise Conflict("only a link waiting for review can be confirmed")
    return _change(session, link, LinkStatus.linked, "confirm", actor, reason)


def reject_link(session: Session, link_id: uuid.UUID, actor: str, *, expected_version: int | None = None,
                reason: str | None = None) -> LinkChange:
    """A caseworker rejects a link waiting for review: these are different people."""
    link = _link(session, link_id, expected_version)
    if link.status != LinkStatus.pending_review:
        raise Conflict("only a link waiting for review can be rejected")
    return _change(session, link, LinkStatus.rejected, "reject", actor, reason)


def unlink(session: Session, link_id: uuid.UUID, actor: str, *, reason: str, expected_version: int | None = None) -> LinkChange:
    """Break a link (made automatically or confirmed) found to be wrong."""
    if not reason or not reason.strip():
        raise InvalidInput("say why the link is wrong")
    link = _link(session, link_id, expected_version)
    if link.status != LinkStatus.linked:
        raise Conflict("only a link in force can be unlinked")
    return _change(session, link, LinkStatus.unlinked, "unlink", actor, reason.strip())


def undo_last_change(session: Session, link_id: uuid.UUID, actor: str, *, expected_version: int | None = None,
                     reason: str | None = None) -> LinkChange:
    """Put the link back to the status it had before its last change."""
    link = _link(session, link_id, expected_version)
    history = repository.changes_of(session, link.id)
    if len(history) < 2:
        raise Conflict("there is no earlier state to go back to")
    return _change(session, link, history[-1].from_status or history[-2].to_status, "undo", actor, reason)


def review_queue(session: Session, *, limit: int = 50, offset: int = 0) -> tuple[list[IdentityLink], int]:
    """Links waiting for a caseworker, oldest first, and how many there are."""
    return repository.pending_reviews(session, limit=limit, offset=offset), repository.count_pending_reviews(session)


def link_with_history(session: Session, link_id: uuid.UUID) -> tuple[IdentityLink, list[IdentityLinkChange]]:
    """A link and every change made to it, oldest first."""
    link = repository.get_link(session, link_id)
    if link is None:
        raise NotFound("no such identity link")
    return link, repository.changes_of(session, link_id)


def linked_refs(session: Session, person_id: uuid.UUID) -> dict[str, list[str]]:
    """The confirmed or automatic links in force for a subject: the only refs fetches may use."""
    return {system: list(refs) for system, refs in holders_of_links(session, person_id).items()}


def holders_of_links(session: Session, person_id: uuid.UUID) -> dict[str, dict[str, str | None]]:
    """The links in force for a subject, as system -> its person refs -> who the source last said
    holds each record (``held_by``; None when the source names nobody)."""
    held: dict[str, dict[str, str | None]] = {}
    for link in repository.links_of(session, person_id, (LinkStatus.linked,)):
        held.setdefault(link.source_system, {})[link.source_person_ref] = link.held_by
    return held


def note_holder(link: IdentityLink, held_by: str) -> LinkChange | None:
    """Record who the source now says holds the record (a pupil who changed school): the change to
    audit, or None if the source says what it said before.  Not a change of the link's status,
    so its version and history stay as they are."""
    if link.held_by == held_by:
        return None
    was, link.held_by, link.updated_at = link.held_by, held_by, utcnow()
    return LinkChange(link, "holder_changed", link.status, link.status, was)


def note_holder_of(session: Session, person_id: uuid.UUID, source_system: str, person_ref: str,
                   held_by: str) -> LinkChange | None:
    """``note_holder`` for the link of ``person_ref`` in ``source_system``, if there is one."""
    link = repository.find_link(session, person_id, source_system, person_ref)
    return note_holder(link, held_by) if link is not None else None


# The EP paper document store ---------------------------------------------------------------

PAPER_DOCUMENT_TYPES = frozenset({"psychological_advice", "ep_report", "assessment_report"})
PAPER_MEDIA_TYPES: dict[str, bytes | tuple[bytes, ...]] = {"application/pdf": b"%PDF-", "image/tiff": (b"II*\x00", b"MM\x00*"), "image/png": b"\x89PNG",
                     "image/jpeg": b"\xff\xd8\xff"}
MAX_PAPER_BYTES = 20_000_000
# Characters no name or reference of a paper report may hold: control characters (NUL among
# them) and the separators of file paths.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_WINDOWS_DRIVE = re.compile(r"^[A-Za-z]:")


def _refuse_active_pdf(content: bytes) -> None:
    """A scan needs no JavaScript, actions or embedded files: a PDF holding any is refused whole."""
    try:
        found = active_content(content)
    except UnreadablePdf:
        raise InvalidInput("the PDF cannot be read: scan the paper report again and upload the new PDF") from None
    if found:
        raise InvalidInput(f"the PDF holds active content ({', '.join(found)}), which a scanned report does not "
                           "need: print it to a new PDF or scan the paper report, and upload that")


def check_paper_file_name(name: str) -> str:
    """The uploaded file's own name, refused unless it is a plain file name.

    The broker keeps scans in its database and never uses the name as a path, but the name is
    shown to staff and may be used by whoever exports the scans: ``../../etc/passwd``, an
    absolute path, a drive letter or a NUL byte is refused rather than carried along.
    """
    if (not name or len(name) > 255 or _CONTROL.search(name) or "/" in name or "\\" in name
            or name in (".", "..") or _WINDOWS_DRIVE.match(name)):
        raise InvalidInput("the file name must be a plain name such as report.pdf, with no folders")
    return name


def upload_paper_document(
    session: Session, *, person_id: uuid.UUID, document_type: str, title: str, author: str,
    document_date: date, media_type: str, content: bytes, uploaded_by: str, sealer: DocumentSealer,
    paper_file_reference: str | None = None,
) -> EpPaperDocument:
    """Store one scanned paper report with its provenance, its bytes sealed by ``sealer`` (never
    stored in the clear); the same scan is stored only once."""
    if document_type not in PAPER_DOCUMENT_TYPES:
        raise InvalidInput(f"document type must be one of {', '.join(sorted(PAPER_DOCUMENT_TYPES))}; "
                           "consultation notes stay with the EP service")
    magic = PAPER_MEDIA_TYPES.get(media_type)
    if magic is None:
        raise InvalidInput("upload a PDF, TIFF, PNG or JPEG scan")
    if not content or not content.startswith(magic):
        raise InvalidInput(f"the file is not a valid {media_type} document")
    if media_type == "application/pdf":
        _refuse_active_pdf(content)
    if len(content) > MAX_PAPER_BYTES:
        raise InvalidInput(f"the file is larger than {MAX_PAPER_BYTES // 1_000_000} MB")
    if not title.strip() or not author.strip():
        raise InvalidInput("give the report's title and author")
    if any(_CONTROL.search(text) for text in (title, author, paper_file_reference or "")):
        raise InvalidInput("the title, author and paper file reference must be plain text on one line")
    if document_date > date.today():
        raise InvalidInput("the report's date is in the future")
    digest = hashlib.sha256(content).hexdigest()
    if repository.paper_document_by_hash(session, person_id, digest) is not None:
        raise Conflict("this scan has already been uploaded for this child")
    document_id = uuid.uuid4()
    document = EpPaperDocument(
        id=document_id, person_id=person_id, document_type=document_type, title=title.strip(),
        author=author.strip(), document_date=document_date, media_type=media_type, size_bytes=len(content),
        content_hash=digest, content=sealer.seal(session, person_id, document_id, content),
        uploaded_by=uploaded_by, paper_file_reference=paper_file_reference)
    repository.add(session, document)
    return document


def paper_documents(session: Session, person_id: uuid.UUID) -> list[EpPaperDocument]:
    return repository.paper_documents_of(session, person_id)
