"""`broker audit verify` and `broker audit export` on a real database."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from audit import service
from audit.export import verify_export
from broker.audit_trail import auditing
from broker.platform.settings import Settings
from tests.audit.builders import make_event
from tests.audit.test_verification import drop_guards, rebuild_tree


def _log(session: Session, settings: Settings, n: int = 30) -> None:
    for i in range(n):
        service.append(session, make_event(subject_id=f"child-{i % 2}", event_type=("consent.granted", "decision.made")[i % 2]))
        if i in (9, 19):
            auditing.sign_checkpoint(session, settings)
    session.commit()


def test_verify_passes_then_names_the_first_bad_entry(session: Session, settings: Settings, broker_cli) -> None:  # type: ignore[no-untyped-def]
    _log(session, settings)
    result = broker_cli("audit", "verify")
    assert result.exit_code == 0, result.output
    assert "audit log intact: 30 entries, 2 signed checkpoints verified" in result.output
    drop_guards(session)
    session.execute(text("UPDATE audit_entries SET subject_id = 'someone-else' WHERE seq = 12"))
    session.commit()
    result = broker_cli("audit", "verify")
    assert result.exit_code == 1
    assert "first bad entry is 12" in result.output


def test_a_forger_who_rewrites_the_tree_too_is_named_by_range(session: Session, settings: Settings, broker_cli) -> None:  # type: ignore[no-untyped-def]
    _log(session, settings)
    drop_guards(session)
    session.execute(text("UPDATE audit_entries SET subject_id = 'someone-else' WHERE seq = 14"))
    session.commit()
    rebuild_tree(session)
    result = broker_cli("audit", "verify")
    assert result.exit_code == 1
    assert "an entry between 10 and 19 is bad (the signed checkpoints cannot say which)" in result.output
    assert "first bad entry" not in result.output


def test_a_wrong_verifier_key_fails_verification(session: Session, settings: Settings, broker_cli) -> None:  # type: ignore[no-untyped-def]
    _log(session, settings, 10)
    other = Settings(environment="test", database_url=settings.database_url, data_dir=settings.data_dir / "other")
    result = broker_cli("audit", "verify", "--verifier-key", auditing.verifier_key(other))
    assert result.exit_code == 1 and "carries no signature" in result.output


def test_export_jsonl_verifies_away_from_the_broker_and_is_itself_audited(
    session: Session, settings: Settings, broker_cli, tmp_path: Path  # type: ignore[no-untyped-def]
) -> None:
    _log(session, settings)
    out = tmp_path / "export.jsonl"
    result = broker_cli("audit", "export", "--subject", "child-1", "--event-type", "decision.made", "-o", str(out),
                 "--requested-by", "ig.auditor")
    assert result.exit_code == 0, result.output
    lines = out.read_text().splitlines()
    header = json.loads(lines[0])
    assert header["tree_size"] == 31  # the export's own audit entry is included in the checkpoint
    assert [json.loads(line)["seq"] for line in lines[1:]] == list(range(1, 30, 2))
    assert verify_export(lines, auditing.verifier_key(settings)) == 15
    tampered = lines[:2] + [lines[2].replace("decision.made", "consent.granted")] + lines[3:]
    with pytest.raises(ValueError):
        verify_export(tampered, auditing.verifier_key(settings))
    last = service.get_entry(session, 30)
    assert (last.event_type, last.actor_username) == ("audit.exported", "ig.auditor")


def test_export_csv_writes_the_checkpoint_beside_it(session: Session, settings: Settings, broker_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _log(session, settings, 5)
    out = tmp_path / "export.csv"
    result = broker_cli("audit", "export", "--format", "csv", "-o", str(out))
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(out.open()))
    assert [int(r["seq"]) for r in rows] == list(range(6))
    assert (tmp_path / "export.csv.checkpoint").read_text().split("\n")[1] == "6"
