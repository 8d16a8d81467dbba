"""The decision function: deny unless a permission in force covers exactly what is asked."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy.orm import Session

from consent.errors import NotFound, TierThreeCategory, UnknownCode, UnknownReference
from consent.schemas import ConsentChange, ConsentWithdraw
from consent.service import change_consent, decide, withdraw_consent
from tests.consent.builders import NOW, family, make_child, make_consent, make_parent, scope


def _decide(session, world, categories, at=NOW + timedelta(minutes=1), **kw):  # type: ignore[no-untyped-def]
    return decide(session, kw.get("subject", world.child.id), kw.get("recipient", world.sen.id),
                  kw.get("purpose", "EHC_NEEDS_ASSESSMENT"), categories, kw.get("holder", world.eps.id), at)


def test_nothing_is_permitted_without_a_permission(session: Session, world) -> None:
    decision = _decide(session, world, ["EP_ADVICE", "EDU_ATTENDANCE"])
    assert [c.permitted for c in decision.categories] == [False, False]
    assert all(c.consent_id is None for c in decision.categories)
    assert "No permission covers educational psychology reports" in decision.categories[0].reason


def test_a_permission_permits_exactly_its_scope(session: Session, world) -> None:
    granted = make_consent(session, child=world.child, grantor=world.mother, recipient=world.sen, holder=world.eps,
                           categories=["EP_ADVICE"])
    decision = _decide(session, world, ["EP_ADVICE", "HEALTH_ADVICE"])
    permit, deny = decision.categories
    assert (permit.permitted, permit.consent_id, permit.consent_version) == (True, granted.id, 1)
    assert "version 1" in permit.reason
    assert deny.permitted is False
    assert _decide(session, world, ["EP_ADVICE"], recipient=world.school.id).categories[0].permitted is False
    assert _decide(session, world, ["EP_ADVICE"], holder=world.school.id).categories[0].permitted is False
    assert _decide(session, world, ["EP_ADVICE"], purpose="EHC_ANNUAL_REVIEW").categories[0].permitted is False
    other = make_child(session, given_name="Oliver")
    assert _decide(session, world, ["EP_ADVICE"], subject=other.id).categories[0].permitted is False


def test_the_period_bounds_the_permission(session: Session, world) -> None:
    make_consent(session, child=world.child, grantor=world.mother, recipient=world.sen, holder=world.eps,
                 valid_until=NOW + timedelta(days=30))
    assert _decide(session, world, ["EP_ADVICE"], at=NOW - timedelta(seconds=1)).categories[0].permitted is False
    assert _decide(session, world, ["EP_ADVICE"], at=NOW + timedelta(days=29)).categories[0].permitted is True
    after = _decide(session, world, ["EP_ADVICE"], at=NOW + timedelta(days=30)).categories[0]
    assert after.permitted is False and "ended on 2 December 2026" in after.reason


def test_withdrawal_stops_decisions_from_its_instant_and_not_before(session: Session, world) -> None:
    granted = make_consent(session, child=world.child, grantor=world.mother, recipient=world.sen, holder=world.eps)
    withdrawn_at = NOW + timedelta(days=3)
    withdraw_consent(session, family(world.mother), granted.id, ConsentWithdraw(reason="changed my mind"), withdrawn_at)
    assert _decide(session, world, ["EP_ADVICE"], at=withdrawn_at - timedelta(microseconds=1)).categories[0].permitted
    after = _decide(session, world, ["EP_ADVICE"], at=withdrawn_at).categories[0]
    assert after.permitted is False and "withdrawn on 5 November 2026" in after.reason


def test_a_withdrawal_by_either_parent_stops_the_other_parents_permission(session: Session, world) -> None:
    granted = make_consent(session, child=world.child, grantor=world.mother, recipient=world.sen, holder=world.eps)
    withdraw_consent(session, family(world.father), granted.id, ConsentWithdraw(), NOW + timedelta(hours=1))
    assert _decide(session, world, ["EP_ADVICE"], at=NOW + timedelta(hours=2)).categories[0].permitted is False


def test_a_change_makes_a_new_version_and_the_old_one_stops(session: Session, world) -> None:
    granted = make_consent(session, child=world.child, grantor=world.mother, recipient=world.sen, holder=world.eps,
                           categories=["EP_ADVICE", "HEALTH_ADVICE"])
    changed_at = NOW + timedelta(days=1)
    change_consent(session, family(world.mother), granted.id, ConsentChange(
        scope=scope(["EP_ADVICE"], recipient=world.sen, holder=world.eps), note="only the EP report"), changed_at)
    before = _decide(session, world, ["EP_ADVICE", "HEALTH_ADVICE"], at=changed_at - timedelta(seconds=1))
    assert [(c.permitted, c.consent_version) for c in before.categories] == [(True, 1), (True, 1)]
    after = _decide(session, world, ["EP_ADVICE", "HEALTH_ADVICE"], at=changed_at)
    assert [(c.permitted, c.consent_version) for c in after.categories] == [(True, 2), (False, None)]
    assert "changed on 3 November 2026" in after.categories[1].reason


def test_a_document_scoped_permission_permits_only_that_document(session: Session, world) -> None:
    make_consent(session, child=world.child, grantor=world.mother, recipient=world.sen, holder=world.eps,
                 document_ref="EP-REPORT-2024-117")
    permitted = _decide(session, world, ["EP_ADVICE"]).categories[0]
    assert permitted.permitted and permitted.documents == ["EP-REPORT-2024-117"]
    assert "EP-REPORT-2024-117" in permitted.reason


def test_contact_details_are_withheld_when_the_address_is_confidential(session: Session, world) -> None:
    world.child.address_confidential = True
    session.flush()
    make_consent(session, child=world.child, grantor=world.mother, recipient=world.sen, holder=world.eps,
                 categories=["ID_CONTACT", "ID_CORE"])
    contact, core = _decide(session, world, ["ID_CONTACT", "ID_CORE"]).categories
    assert contact.permitted is False and "confidential" in contact.reason
    assert core.permitted is True


def test_the_young_person_transition_between_two_decisions(session: Session, world) -> None:
    # Born 20 May 2010: compulsory school age ends at the end of Friday 26 June 2026; the young
    # person decides from Saturday 27 June.
    teen = make_child(session, born=date(2010, 5, 20), given_name="Jordan")
    mother = make_parent(session, teen, given_name="Karen")
    granted_at = NOW.replace(year=2026, month=3, day=1)
    make_consent(session, child=teen, grantor=mother, recipient=world.sen, holder=world.eps, at=granted_at,
                 valid_until=granted_at + timedelta(days=365))
    friday = granted_at.replace(month=6, day=26, hour=12)
    saturday = granted_at.replace(month=6, day=27, hour=12)
    assert _decide(session, world, ["EP_ADVICE"], subject=teen.id, at=friday).categories[0].permitted is True
    after = _decide(session, world, ["EP_ADVICE"], subject=teen.id, at=saturday).categories[0]
    assert after.permitted is False
    assert "27 June 2026" in after.reason and "young person now decides" in after.reason


def test_the_decision_is_a_pure_function_of_state_and_time(session: Session, world) -> None:
    make_consent(session, child=world.child, grantor=world.mother, recipient=world.sen, holder=world.eps)
    first = _decide(session, world, ["EP_ADVICE", "HEALTH_ADVICE"])
    second = _decide(session, world, ["EP_ADVICE", "HEALTH_ADVICE"])
    assert first == second
    assert _decide(session, world, ["EP_ADVICE"], at=NOW - timedelta(days=1)).categories[0].permitted is False


def test_bad_decision_input_is_refused(session: Session, world) -> None:
    import uuid

    with pytest.raises(TierThreeCategory):
        _decide(session, world, ["EP_ADVICE", "SAFEGUARDING"])
    with pytest.raises(UnknownCode):
        _decide(session, world, ["NOT_A_CATEGORY"])
    with pytest.raises(UnknownCode):
        _decide(session, world, ["EP_ADVICE"], purpose="GOSSIP")
    with pytest.raises(NotFound):
        _decide(session, world, ["EP_ADVICE"], subject=uuid.uuid4())
    with pytest.raises(NotFound):
        _decide(session, world, ["EP_ADVICE"], subject=world.mother.id)
    with pytest.raises(UnknownReference):
        _decide(session, world, ["EP_ADVICE"], recipient=uuid.uuid4())
    with pytest.raises(UnknownReference):
        _decide(session, world, ["EP_ADVICE"], holder=uuid.uuid4())
