"""Who holds each source system's record of a child: the organisation a release decision names.

A source system's holder is configured (``BROKER_SOURCE_SYSTEMS__<name>__HOLDER``), unless the
source names the holder of the child's own record (``names_holders``).  The education system
names the pupil's school by its URN: discovery records it on the identity link and every fetch
refreshes it, and the holder is then the organisation with that URN.  A school the broker does
not know, or a record whose source has not named its school yet, is still a holding, with no
organisation: nothing is asked of that record, since no permission can name its holder, and the
caseworker is told why.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from adapters.registry import AdapterRegistry
from adapters.service import holders_of_links
from broker.platform.settings import Settings
from consent.models import Organisation


@dataclass(frozen=True)
class Holding:
    """Some of a child's records in one source system, all held by one organisation.

    ``refs`` are the source's ids of the child's records in force (none: not linked yet);
    ``held_by`` is the holder in the source's own code, when the source names one; ``urn`` the
    holder's URN as the broker has it, to check what the source says at fetch time against."""

    source_system: str
    holder_id: uuid.UUID | None
    holder_name: str | None
    refs: tuple[str, ...] = ()
    held_by: str | None = None
    urn: str | None = None


def configured_holders(session: Session, settings: Settings, registry: AdapterRegistry) -> dict[str, Organisation]:
    """Each registered source system's configured holder organisation (systems with none are left out)."""
    codes = {name: s.holder for name, s in (settings.source_systems or {}).items() if s.holder and name in registry.names}
    known = {o.code: o for o in session.scalars(select(Organisation).where(Organisation.code.in_(set(codes.values()))))}
    return {name: known[code] for name, code in codes.items() if code in known}


def holdings(session: Session, settings: Settings, registry: AdapterRegistry, subject_id: uuid.UUID) -> list[Holding]:
    """The child's records in each source system, in the registry's order, grouped by holder.

    A system where no record of the child is in force is one holding with no refs under its
    configured holder, so that what permission is missing can still be said, or with no holder
    when the system names holders itself (nobody is known until the child's record is linked).
    A system with no holder configured that does not name holders is never asked."""
    configured = configured_holders(session, settings, registry)
    linked = holders_of_links(session, subject_id)
    urns = {held for refs in linked.values() for held in refs.values() if held}
    schools = {o.urn: o for o in session.scalars(select(Organisation).where(Organisation.urn.in_(urns)))} if urns else {}
    found: list[Holding] = []
    for adapter in registry:
        default = configured.get(adapter.name)
        refs = {str(subject_id): None} if "broker_person_id" in adapter.identifier_schemes else linked.get(adapter.name, {})
        if not refs and default is not None:
            found.append(Holding(adapter.name, default.id, default.name, urn=default.urn))
        elif not refs and adapter.names_holders:
            found.append(Holding(adapter.name, None, None))
        groups: dict[str | None, list[str]] = {}
        for ref, held_by in refs.items():
            groups.setdefault(held_by, []).append(ref)
        for held_by, group in groups.items():
            holder = schools.get(held_by) if held_by else default
            if holder is None and held_by is None and not adapter.names_holders:
                continue
            found.append(Holding(adapter.name, holder.id if holder else None, holder.name if holder else None,
                                 tuple(group), held_by, holder.urn if holder else None))
    return found
