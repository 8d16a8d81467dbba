"""Consent requests: each decider told and answering alone, partial approval, conflicts, expiry,
and the requests raised to young people at the end of compulsory school age."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from consent.errors import Conflict, InvalidInput, NotFound, TierThreeCategory
from consent.models import ConsentRequest, ConsentRequestAnswer, ConsentStatusEvent, ConsentVersion
from consent.schemas import AnswerCreate, ConsentRequestCreate
from consent.service import (
    answer_request,
    create_request,
    decide,
    list_consents,
    read_request,
    transition_to_young_people,
)
from tests.consent.builders import NOW, family, make_child, make_consent, make_parent, staff


def _request(session: Session, world, **overrides):  # type: ignore[no-untyped-def]
    data = dict(
        subject_id=world.child.id, purpose="EHC_NEEDS_ASSESSMENT", categories=["EP_ADVICE", "HEALTH_ADVICE"],
        holder_organisation_ids=[world.eps.id, world.school.id], recipient_organisation_ids=[world.sen.id],
        why="To understand Amelia's needs for the assessment.", valid_for_days=180,
        if_declined="The assessment goes ahead on the other advice.", expires_at=NOW + timedelta(days=14),
    )
    data.update(overrides)
    return create_request(session, staff(world.sen), ConsentRequestCreate(**data), NOW)


def _count(session: Session, model) -> int:  # type: ignore[no-untyped-def]
    return session.scalar(select(func.count()).select_from(model))


def test_every_person_who_may_decide_is_recorded_separately(session: Session, world) -> None:
    request, deciders = _request(session, world)
    assert {d.person_id for d in deciders} == {world.mother.id, world.father.id}
    assert [(d.name, d.standing, d.answer) for d in request.deciders] == [
        ("David Clarke", "pr_holder", None), ("Sarah Clarke", "pr_holder", None)]
    assert all(d.notified_at == NOW for d in request.deciders)
    assert (request.status, request.conflict) == ("open", False)


def test_approving_all_grants_a_consent_with_the_whole_scope(session: Session, world) -> None:
    request, _ = _request(session, world)
    answered, consent = answer_request(session, family(world.mother), request.id, AnswerCreate(answer="approve_all"),
                                       NOW + timedelta(hours=1))
    assert consent is not None and len(consent.versions[0].scope) == 4
    assert consent.versions[0].valid_until == NOW + timedelta(hours=1, days=180)
    mine = next(d for d in answered.deciders if d.person_id == world.mother.id)
    assert (mine.answer, mine.consent_id) == ("approve_all", consent.id)
    assert decide(session, world.child.id, world.sen.id, "EHC_NEEDS_ASSESSMENT", ["HEALTH_ADVICE"], world.school.id,
                  NOW + timedelta(hours=2)).categories[0].permitted


def test_approving_part_grants_only_the_narrower_scope(session: Session, world) -> None:
    request, _ = _request(session, world)
    _, consent = answer_request(session, family(world.father), request.id, AnswerCreate(
        answer="approve_part", categories=["EP_ADVICE"], holder_organisation_ids=[world.eps.id], valid_for_days=30,
    ), NOW)
    assert [(s.data_category, s.holder_organisation_id) for s in consent.versions[0].scope] == [("EP_ADVICE", world.eps.id)]
    assert consent.versions[0].valid_until == NOW + timedelta(days=30)
    at = NOW + timedelta(days=1)
    assert not decide(session, world.child.id, world.sen.id, "EHC_NEEDS_ASSESSMENT", ["HEALTH_ADVICE"], world.eps.id, at).categories[0].permitted


@pytest.mark.parametrize("answer", [
    AnswerCreate(answer="approve_part", categories=["SC_PLAN"]),
    AnswerCreate(answer="approve_part", valid_for_days=181),
    AnswerCreate(answer="approve_part"),
    AnswerCreate(answer="decline", categories=["EP_ADVICE"]),
])
def test_an_answer_wider_than_the_request_is_refused(session: Session, world, answer) -> None:
    request, _ = _request(session, world)
    with pytest.raises(InvalidInput):
        answer_request(session, family(world.mother), request.id, answer, NOW)
    assert _count(session, ConsentRequestAnswer) == 0 and _count(session, ConsentVersion) == 0


def test_two_parents_answering_differently_are_both_recorded_and_flagged(session: Session, world) -> None:
    request, _ = _request(session, world)
    _, consent = answer_request(session, family(world.mother), request.id, AnswerCreate(answer="approve_all"), NOW)
    answered, none = answer_request(session, family(world.father), request.id,
                                    AnswerCreate(answer="decline", note="I do not agree"), NOW + timedelta(hours=1))
    assert none is None
    assert (answered.status, answered.conflict) == ("answered", True)
    assert {d.name: d.answer for d in answered.deciders} == {"Sarah Clarke": "approve_all", "David Clarke": "decline"}
    # each parent may act alone: the mother's permission stands until one of them withdraws it
    assert decide(session, world.child.id, world.sen.id, "EHC_NEEDS_ASSESSMENT", ["EP_ADVICE"], world.eps.id,
                  NOW + timedelta(hours=2)).categories[0].consent_id == consent.id


def test_a_request_answered_twice_is_a_conflict_and_changes_nothing(session: Session, world) -> None:
    request, _ = _request(session, world)
    answer_request(session, family(world.mother), request.id, AnswerCreate(answer="decline"), NOW)
    with pytest.raises(Conflict, match="already answered"):
        answer_request(session, family(world.mother), request.id, AnswerCreate(answer="approve_all"), NOW)
    assert _count(session, ConsentRequestAnswer) == 1 and _count(session, ConsentVersion) == 0


def test_an_unanswered_request_expires(session: Session, world) -> None:
    request, _ = _request(session, world)
    later = NOW + timedelta(days=14)
    assert read_request(session, staff(world.sen), request.id, later).status == "expired"
    with pytest.raises(Conflict, match="expired"):
        answer_request(session, family(world.mother), request.id, AnswerCreate(answer="approve_all"), later)


def test_only_deciders_see_and_answer_a_request(session: Session, world) -> None:
    request, _ = _request(session, world)
    other = make_parent(session, make_child(session, given_name="Oliver"), given_name="Priya")
    with pytest.raises(NotFound):
        read_request(session, family(other), request.id, NOW)
    with pytest.raises(NotFound):
        answer_request(session, family(other), request.id, AnswerCreate(answer="approve_all"), NOW)


def test_bad_requests_are_refused(session: Session, world) -> None:
    with pytest.raises(TierThreeCategory):
        _request(session, world, categories=["EP_ADVICE", "COURT"])
    with pytest.raises(InvalidInput):
        _request(session, world, purpose="SAFEGUARDING")
    with pytest.raises(InvalidInput, match="expire in the future"):
        _request(session, world, expires_at=NOW - timedelta(days=1))
    assert _count(session, ConsentRequest) == 0


def test_a_council_with_parental_responsibility_is_a_decider_answered_by_its_staff(session: Session, world) -> None:
    from consent.models import Relationship

    looked_after = make_child(session, given_name="Leo")
    session.add(Relationship(subject_id=looked_after.id, organisation_id=world.council.id, relationship_type="local_authority",
                             parental_responsibility=True, pr_basis="care_order"))
    session.flush()
    request, deciders = _request(session, world, subject_id=looked_after.id)
    assert [(d.organisation_id, d.standing) for d in deciders] == [(world.council.id, "council_with_pr")]
    _, consent = answer_request(session, staff(world.sen), request.id, AnswerCreate(answer="approve_all"), NOW)
    assert consent.versions[0].grantor_organisation_id == world.council.id
    assert consent.versions[0].method == "paper"


def test_the_transition_expires_parental_consents_and_asks_the_young_person_once(session: Session, world) -> None:
    teen = make_child(session, born=date(2010, 5, 20), given_name="Jordan")
    mother = make_parent(session, teen, given_name="Karen")
    granted_at = NOW.replace(year=2026, month=3, day=1)
    granted = make_consent(session, child=teen, grantor=mother, recipient=world.sen, holder=world.eps,
                           categories=["EP_ADVICE", "EDU_ADVICE"], at=granted_at)
    make_consent(session, child=world.child, grantor=world.mother, recipient=world.sen, holder=world.eps, at=granted_at)
    assert transition_to_young_people(session, granted_at.replace(month=6, day=25)) == []

    done = transition_to_young_people(session, granted_at.replace(month=6, day=27))
    assert [(t.consent_id, t.subject_id) for t in done] == [(granted.id, teen.id)]
    (request, deciders), = done[0].requests
    assert [(d.person_id, d.standing) for d in deciders] == [(teen.id, "young_person")]
    assert (request.replaces_consent_id, request.categories) == (granted.id, ["EDU_ADVICE", "EP_ADVICE"])
    assert list_consents(session, family(teen), teen.id, granted_at.replace(month=6, day=27))[0].status == "expired"

    assert transition_to_young_people(session, granted_at.replace(month=6, day=27)) == []
    assert transition_to_young_people(session, granted_at.replace(month=6, day=28)) == []
    assert _count(session, ConsentRequest) == 1
    expired = session.scalars(select(ConsentStatusEvent).where(ConsentStatusEvent.status == "expired")).all()
    # The end of Friday 26 June in England (midnight BST) is 23:00 UTC on the 26th.
    assert [e.effective_at.date() for e in expired] == [date(2026, 6, 26)]

    answer_request(session, family(teen), request.id, AnswerCreate(answer="approve_all"), granted_at.replace(month=6, day=29))
    assert decide(session, teen.id, world.sen.id, "EHC_NEEDS_ASSESSMENT", ["EP_ADVICE"], world.eps.id,
                  granted_at.replace(month=6, day=30)).categories[0].permitted
