"""The relationship rules every router uses, called directly."""

from __future__ import annotations

import uuid

import pytest

from broker.auth import Principal, Role
from broker.auth.relationships import (
    acting_organisation,
    family_subjects,
    may_see_contact_details_of,
    subject_in_scope,
)
from broker.dev.demo import demo_id
from broker.platform.errors import Forbidden, NotFound

pytestmark = pytest.mark.usefixtures("demo")


def _principal(role: Role, **kwargs: object) -> Principal:
    return Principal(user_id=uuid.uuid4(), username="x", display_name="x", role=role, **kwargs)  # type: ignore[arg-type]


def test_a_caseworker_acts_for_their_organisation(session) -> None:  # type: ignore[no-untyped-def]
    sen = demo_id("org:NCC-SEN")
    assert acting_organisation(_principal(Role.caseworker, organisation_id=sen)) == sen
    with pytest.raises(Forbidden):
        acting_organisation(_principal(Role.caseworker))
    with pytest.raises(Forbidden):
        subject_in_scope(session, _principal(Role.caseworker), demo_id("person:amelia"))
    with pytest.raises(Forbidden):
        acting_organisation(_principal(Role.family, person_id=demo_id("person:sarah"), organisation_id=sen))


@pytest.mark.parametrize("role", [Role.ig_auditor, Role.admin])
def test_ig_auditors_and_admins_reach_no_child_record(session, role: Role) -> None:  # type: ignore[no-untyped-def]
    principal = _principal(role, organisation_id=demo_id("org:NCC"))
    for subject in (demo_id("person:amelia"), uuid.uuid4()):
        with pytest.raises(Forbidden):
            subject_in_scope(session, principal, subject)
    assert family_subjects(session, principal) == []


def test_a_family_member_without_a_person_record_reaches_nobody(session) -> None:  # type: ignore[no-untyped-def]
    principal = _principal(Role.family)
    assert family_subjects(session, principal) == []
    with pytest.raises(NotFound):
        subject_in_scope(session, principal, demo_id("person:amelia"))


def test_a_representative_of_a_young_person_reaches_them(session) -> None:  # type: ignore[no-untyped-def]
    from consent.models import Relationship

    session.add(Relationship(
        subject_id=demo_id("person:jordan"), related_person_id=demo_id("person:karen"),
        relationship_type="deputy", representative_kind="deputy", capacity_assessment_ref="MCA-2025-17",
    ))
    session.flush()
    karen = _principal(Role.family, person_id=demo_id("person:karen"))
    assert subject_in_scope(session, karen, demo_id("person:jordan")).given_name == "Jordan"


def test_a_parent_sees_only_their_own_contact_details() -> None:
    sarah, david = demo_id("person:sarah"), demo_id("person:david")
    assert may_see_contact_details_of(_principal(Role.family, person_id=sarah), sarah)
    assert not may_see_contact_details_of(_principal(Role.family, person_id=sarah), david)
    assert not may_see_contact_details_of(_principal(Role.admin, organisation_id=demo_id("org:NCC")), david)
