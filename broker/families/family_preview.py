"""Before a family answers a request: what each service named in it holds of what is asked, shown
as the items' titles, dates and kinds, never their contents; first what is shared already (or is
shared whatever they answer) and on which basis, by the release policy, then what a yes would add.

The source systems describe their items for the preview (``SourceAdapter.describe``: the EP
system from its document list, sending no report), and the descriptions are dropped once the page
is built: nothing is stored, and nothing reaches staff.  The preview itself is audited.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field, replace
from datetime import date

from sqlalchemy.orm import Session

from adapters.protocol import FetchContext, releasable, requestable
from adapters.registry import AdapterRegistry, SourceOutcome, fetch_from_all
from broker.audit_trail import catalogue
from broker.audit_trail.auditing import record
from broker.auth import Principal
from broker.families.family_view import category_label
from broker.gathering import repository as gathering_repository
from broker.gathering.repository import hold_subject
from broker.gathering.service import facts_of
from broker.identity.holders import holdings
from broker.permissions import release_policy
from broker.platform.errors import NotFound
from broker.platform.logging import current_request_id
from broker.platform.settings import Settings
from consent import repository as consent_repository
from consent.models import utcnow

KINDS = {"application/pdf": "A document (PDF)", "image/jpeg": "A scanned page", "image/png": "A scanned page"}


@dataclass(frozen=True)
class PreviewItem:
    title: str
    dated: date | None
    kind: str
    category: str
    # For an item released already, or whatever the family answers: why, and when it was shared.
    basis: str | None = None
    shared_on: date | None = None


@dataclass
class ServicePreview:
    """One service: ``items`` is what a yes would add; ``already`` what is shared without it."""

    name: str
    items: list[PreviewItem] = field(default_factory=list)
    already: list[PreviewItem] = field(default_factory=list)
    unavailable: bool = False


def preview(session: Session, who: Principal, settings: Settings, registry: AdapterRegistry,
            subject_id: uuid.UUID, request_id: uuid.UUID) -> list[ServicePreview]:
    """What each service in the request would release for the categories asked, as titles, dates
    and kinds of item.  A service that cannot be reached, or whose record of the child is not
    linked yet, is shown as such; an item of a category never shared on permission never shows."""
    asked = consent_repository.consent_request(session, request_id)
    if asked is None or asked.subject_id != subject_id:
        raise NotFound("There is no request with that id.")
    categories = [c.value for c in requestable(asked.categories)]
    holder_ids = [uuid.UUID(str(h)) for h in asked.holder_organisation_ids]
    names = consent_repository.names_of_organisations(session, holder_ids)
    held = [h for h in holdings(session, settings, registry, subject_id) if h.holder_id in holder_ids
            and any(registry.get(h.source_system).supports(c) for c in categories)]
    asking = [h for h in held if h.refs]
    context = FetchContext(purpose=asked.purpose, requesting_user=who.username, request_id=current_request_id())

    async def ask_each() -> list[dict[str, SourceOutcome]]:
        return await asyncio.gather(*(fetch_from_all(
            registry, {h.source_system: list(h.refs)}, categories, context,
            deadline_seconds=settings.gather_source_timeout_seconds, describe_only=True) for h in asking))

    # Called from a sync route, which FastAPI runs in a worker thread: a private event loop is safe.
    answers = asyncio.run(ask_each()) if asking else []
    # Held once the sources have answered (never while they are asked), so what the page says of
    # the child's permissions is one state of them, ordered with any withdrawal.
    hold_subject(session, subject_id)
    outcomes = {h: answer.get(h.source_system) for h, answer in zip(asking, answers, strict=True)}
    at = utcnow()
    recipients = [release_policy.recipient_with_open_case(session, subject_id=subject_id, organisation_id=r,
                                                          purpose=asked.purpose, at=at)
                  for r in dict.fromkeys(uuid.UUID(str(r)) for r in asked.recipient_organisation_ids)]
    stored = {(row.source_system, row.source_record_id): row.retrieved_at
              for row, _ in gathering_repository.stored_with_recipients(session, subject_id)}
    previews = []
    for holder in holder_ids:
        shown = ServicePreview(names.get(holder, "another service"))
        mine = [h for h in held if h.holder_id == holder]
        for h in mine:
            outcome = outcomes.get(h)
            if outcome is None or outcome.status != "ok":
                shown.unavailable = True
                continue
            wanted = [item for item in releasable(outcome.items) if item.category.value in categories]
            released = [release_policy.decide_items(session, to, holder, [facts_of(i) for i in wanted])
                        for to in recipients]
            for n, item in enumerate(wanted):
                now = [r[n] for r in released]
                shown_item = PreviewItem(item.title, item.effective_date, KINDS.get(item.media_type or "", "A record"),
                                         category_label(item.category.value))
                if now and all(a.released for a in now):
                    when = stored.get((item.source_system, item.source_record_id))
                    shown.already.append(replace(shown_item, basis=now[0].in_words,
                                                 shared_on=when.date() if when else None))
                else:
                    shown.items.append(shown_item)
        if not mine:
            shown.unavailable = True
        shown.items.sort(key=lambda i: (i.dated or date.min), reverse=True)
        shown.already.sort(key=lambda i: (i.dated or date.min), reverse=True)
        previews.append(shown)
    record(session, catalogue.records_previewed(
        who, subject_id=subject_id, purpose=asked.purpose, consent_request_id=request_id, categories=categories,
        sources_asked=sorted({h.source_system for h in asking}), items_shown=sum(len(p.items) for p in previews),
        items_shared_without_it=sum(len(p.already) for p in previews)))
    return previews
