"""The audit event catalogue: production code writes only catalogued events, and every one has words.

The walk reads ``broker/`` as source (ast), so a new module that builds an ``AuditEvent`` itself,
appends to the log round ``auditing``, or names an event type the catalogue does not hold fails
here before any family reads an unworded line.
"""

from __future__ import annotations

import ast
import re
import string
import typing
import uuid
from pathlib import Path

import pytest

import adapters.service
import broker
from audit.events import AuditEvent
from broker.assessments.schemas import AdviceRequestUpdate, Step
from broker.audit_trail import auditing, catalogue
from broker.audit_trail.catalogue import EventType
from broker.platform.db import Database

BROKER = Path(broker.__file__).parent
CATALOGUE = BROKER / "audit_trail" / "catalogue.py"
AUDITING = BROKER / "audit_trail" / "auditing.py"
ADAPTER_SERVICE = Path(adapters.service.__file__)
# The first part of every catalogued type ("consent" of "consent.granted"), and one that nothing
# may write any more.
FAMILIES = {value.split(".")[0] for value in EventType} | {"disclosure"}
EVENT_SHAPED = re.compile(r"^([a-z_]+)\.[a-z_]+(\.[a-z_]+)*$")
PLACEHOLDERS = {"categories", "holder", "recipient"}


def _modules() -> list[tuple[Path, ast.Module]]:
    return [(path, ast.parse(path.read_text(encoding="utf-8"), str(path)))
            for path in sorted(BROKER.rglob("*.py")) if "vendor" not in path.parts]


def _docstrings(tree: ast.Module) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


def _where(path: Path, node: ast.AST) -> str:
    return f"{path.relative_to(BROKER.parent)}:{getattr(node, 'lineno', '?')}"


def test_only_the_catalogue_constructs_audit_events() -> None:
    found = []
    for path, tree in _modules():
        if path == CATALOGUE:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", None)
                if name == "AuditEvent":
                    found.append(_where(path, node))
    assert found == []


def test_only_auditing_appends_to_the_log() -> None:
    """``audit.service.append`` round ``auditing.record`` would skip the catalogue check."""
    found = []
    for path, tree in _modules():
        if path == AUDITING:
            continue
        aliases = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module == "audit":
                aliases |= {a.asname or a.name for a in node.names if a.name == "service"}
            if isinstance(node, ast.ImportFrom) and node.module == "audit.service":
                found += [_where(path, node) for a in node.names if a.name.startswith("append")]
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and node.attr in ("append", "append_many")
                    and isinstance(node.value, ast.Name) and node.value.id in aliases):
                found.append(_where(path, node))
    assert found == []


def test_production_code_names_only_catalogued_event_types() -> None:
    catalogued = {value.value for value in EventType}
    unknown = []
    for path, tree in _modules():
        if path == CATALOGUE:
            continue
        docstrings = _docstrings(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
                shaped = EVENT_SHAPED.match(node.value)
                if shaped and shaped.group(1) in FAMILIES and node.value not in catalogued:
                    unknown.append(f"{_where(path, node)} {node.value!r}")
            if isinstance(node, ast.JoinedStr) and node.values and isinstance(node.values[0], ast.Constant):
                head = str(node.values[0].value)
                if head.endswith(".") and head[:-1] in FAMILIES:
                    unknown.append(f"{_where(path, node)} an event type built as an f-string ({head}...)")
    assert unknown == []


@pytest.mark.parametrize("event_type", list(EventType), ids=lambda e: e.value)
def test_every_catalogued_event_has_family_wording_and_an_ig_label(event_type: EventType) -> None:
    assert event_type.family.strip() and event_type.ig.strip()
    named = {field for _, field, _, _ in string.Formatter().parse(event_type.family) if field}
    assert named <= PLACEHOLDERS, f"{event_type.value} names {named - PLACEHOLDERS}"
    assert "_" not in event_type.family and "." not in event_type.family


def test_the_catalogue_holds_every_type_production_writes() -> None:
    assert len(EventType) >= 50
    assert catalogue.catalogued("records.disclosed") is EventType.RECORDS_DISCLOSED
    assert catalogue.catalogued("disclosure.made") is None


def test_recording_an_uncatalogued_event_is_refused(database: Database) -> None:
    with pytest.raises(auditing.UncataloguedEvent), database.unit_of_work() as session:
        auditing.record(session, AuditEvent("disclosure.made", "success"))
    with pytest.raises(auditing.UncataloguedEvent), database.unit_of_work() as session:
        auditing.record_many(session, [catalogue.consent_expired(
            subject_id=uuid.uuid4(), consent_id=uuid.uuid4(), effective_at="x",
            reason="y"), AuditEvent("records.read", "success")])
    with database.sessions() as session:
        assert auditing.service.repository.count_entries(session) == 0


def _link_actions() -> set[str]:
    """The actions ``adapters.service`` names a link change by (``_change(..., action, ...)``,
    ``LinkChange(link, action, ...)`` and ``action = ... if ... else ...``)."""
    tree = ast.parse(ADAPTER_SERVICE.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        values: list[ast.expr] = []
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "_change" and len(node.args) >= 4:
            values.append(node.args[3])
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "LinkChange" and len(node.args) >= 2:
            values.append(node.args[1])
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "action" for t in node.targets):
            values.append(node.value)
        for value in values:
            found |= {c.value for c in ast.walk(value) if isinstance(c, ast.Constant) and isinstance(c.value, str)}
    return found


def test_every_step_advice_change_and_link_action_has_its_event() -> None:
    """The builders that pick a type from a value cover every value production can hand them."""
    assert {step.value for step in Step} == set(catalogue.ASSESSMENT_STEPS)
    statuses = typing.get_args(AdviceRequestUpdate.model_fields["status"].annotation)
    assert set(statuses) == set(catalogue.ADVICE_CHANGES)
    actions = _link_actions()
    assert {"auto_link", "queued", "confirm", "holder_changed"} <= actions
    assert actions <= set(catalogue.LINK_EVENTS)
