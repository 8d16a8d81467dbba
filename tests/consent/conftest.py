from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy.orm import Session

from consent.models import Organisation, Person
from tests.consent.builders import make_child, make_organisation, make_parent


@dataclass
class World:
    council: Organisation
    sen: Organisation
    eps: Organisation
    school: Organisation
    child: Person
    mother: Person
    father: Person


@pytest.fixture
def world(session: Session) -> World:
    council = make_organisation(session, code="NCC", name="Northshire County Council")
    sen = make_organisation(session, code="NCC-SEN", name="Northshire SEN team", kind="sen_team", parent=council)
    eps = make_organisation(session, code="NCC-EPS", name="Northshire EP service", kind="ep_service", parent=council)
    school = make_organisation(session, code="SCH", name="Riverside Primary School", kind="school")
    child = make_child(session)
    mother = make_parent(session, child, given_name="Sarah")
    father = make_parent(session, child, given_name="David")
    session.commit()
    return World(council, sen, eps, school, child, mother, father)
