"""``broker retention apply``: exactly what has expired is erased, audited without contents, and a
second run changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from audit.models import AuditEntry
from broker.cli import app as cli
from broker.platform.db import Database
from broker.platform.settings import Settings
from broker.records.encryption.models import SubjectDataKey
from broker.records.encryption.service import RecordEncryption, RecordShredded
from broker.records.erasure import RETENTION, apply_retention, expired_items
from tests.broker.audit_entries import entries_since, next_seq
from tests.broker.records.builders import LEO, item_ids, open_case, read_text, store_item


@pytest.fixture
def stored(database: Database, settings: Settings, demo) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """Leo's items: a closed case (contact details and advice), an open case, and evidence for a
    decision to assess that never became a case."""
    encryption = RecordEncryption.from_settings(settings)
    with database.unit_of_work() as session:
        closed = open_case(session, closed_at=datetime(2025, 1, 10, 12, 0, tzinfo=UTC))
        still_open = open_case(session)
        return {
            "contact": store_item(session, encryption, text="contact-closed-case", category="ID_CONTACT",
                                  assessment_id=closed),
            "advice": store_item(session, encryption, text="advice-closed-case", assessment_id=closed),
            "open": store_item(session, encryption, text="advice-open-case", assessment_id=still_open),
            "decision": store_item(session, encryption, text="decision-evidence", purpose="EHC_REQUEST_DECISION",
                                   retrieved_at=datetime(2024, 1, 1, tzinfo=UTC)),
            "kept": store_item(session, encryption, text="no-case-no-cap"),
        }


def _erase_at(database: Database, settings: Settings, when: datetime) -> int:
    return apply_retention(database, settings, RecordEncryption.from_settings(settings), when).erased


def test_exactly_what_has_expired_is_erased_and_the_rest_stays_readable(
        database: Database, settings: Settings, stored: dict) -> None:  # type: ignore[type-arg]
    encryption = RecordEncryption.from_settings(settings)
    everything = set(stored.values())
    # (moment, what has expired by then): contact details go when the case closes, decision
    # evidence 24 months after it was fetched, the closed case's advice 12 months after closing.
    steps = [
        (datetime(2025, 1, 10, 11, 59, tzinfo=UTC), set()),
        (datetime(2025, 1, 10, 12, 0, tzinfo=UTC), {stored["contact"]}),
        (datetime(2026, 1, 1, 0, 0, tzinfo=UTC), {stored["decision"]}),
        (datetime(2026, 1, 10, 12, 0, tzinfo=UTC), {stored["advice"]}),
        (datetime(2040, 1, 1, tzinfo=UTC), set()),
    ]
    gone: set = set()  # type: ignore[type-arg]
    for when, expiring in steps:
        with database.sessions() as session:
            found = {e.item_id for e in expired_items(session, settings, when)}
            assert found == expiring and all(e.reason == RETENTION for e in expired_items(session, settings, when))
        assert _erase_at(database, settings, when) == len(expiring)
        gone |= expiring
        with database.sessions() as session:
            assert item_ids(session) == everything - gone
            # What remains was sealed again under a fresh key and still reads back.
            for name in ("open", "kept"):
                assert read_text(session, encryption, stored[name]) in ("advice-open-case", "no-case-no-cap")
    with database.sessions() as session:
        keys = session.scalars(select(SubjectDataKey).where(SubjectDataKey.subject_id == LEO)).all()
        assert sum(k.destroyed_at is None for k in keys) == 1 and len(keys) == 4


def test_each_erasure_is_audited_without_contents_and_a_second_run_does_nothing(
        database: Database, settings: Settings, stored: dict) -> None:  # type: ignore[type-arg]
    when = datetime(2026, 2, 1, tzinfo=UTC)
    with database.sessions() as session:
        start = next_seq(session)
    assert _erase_at(database, settings, when) == 3
    with database.sessions() as session:
        events = entries_since(session, start)
        entries_after_first = session.scalar(select(func.count()).select_from(AuditEntry))
    assert [e.event_type for e in events] == ["records.erased"]
    erased = events[0]
    assert erased.subject_id == str(LEO) and erased.details["items_erased"] == 3
    assert {i["id"] for i in erased.details["items"]} == {str(stored[k]) for k in ("contact", "decision", "advice")}
    assert len(erased.details["data_keys_destroyed"]) == 1
    text = repr(erased)
    assert not any(word in text for word in ("contact-closed-case", "advice-closed-case", "decision-evidence"))

    assert _erase_at(database, settings, when) == 0
    with database.sessions() as session:
        assert session.scalar(select(func.count()).select_from(AuditEntry)) == entries_after_first
        assert item_ids(session) == {stored["open"], stored["kept"]}


def test_an_item_erased_is_unreadable_through_its_old_key(database: Database, settings: Settings, stored: dict) -> None:  # type: ignore[type-arg]
    """A copy of an erased row (say, in a backup) cannot be opened: its data key was destroyed."""
    from broker.gathering.models import TABLE, GatheredItem

    encryption = RecordEncryption.from_settings(settings)
    with database.sessions() as session:
        row = session.get(GatheredItem, stored["contact"])
        backup = (row.id, row.content)  # type: ignore[union-attr]
    _erase_at(database, settings, datetime(2025, 6, 1, tzinfo=UTC))
    with database.sessions() as session, pytest.raises(RecordShredded):
        encryption.open(session, LEO, TABLE, backup[0], "content", backup[1])


def test_the_command_dry_run_then_apply_then_again(
        database: Database, settings: Settings, stored: dict, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[type-arg]
    for name, value in {"BROKER_DATABASE_URL": settings.database_url, "BROKER_ENVIRONMENT": "test",
                        "BROKER_DATA_DIR": str(settings.data_dir)}.items():
        monkeypatch.setenv(name, value)
    runner = CliRunner()
    dry = runner.invoke(cli, ["retention", "apply", "--dry-run", "--at", "2026-02-01T00:00:00"])
    assert dry.exit_code == 0, dry.output
    assert "3 item(s) past their deadline; nothing erased" in dry.output
    with database.sessions() as session:
        assert len(item_ids(session)) == 5
    applied = runner.invoke(cli, ["retention", "apply", "--at", "2026-02-01T00:00:00"])
    assert applied.exit_code == 0, applied.output
    assert f"[1/1] subject {LEO}: erased 3 item(s)" in applied.output
    assert "3 item(s) of 1 child(ren) erased" in applied.output
    again = runner.invoke(cli, ["retention", "apply", "--at", "2026-02-01T00:00:00"])
    assert again.exit_code == 0 and "0 item(s) of 0 child(ren) erased" in again.output
    with database.sessions() as session:
        assert item_ids(session) == {stored["open"], stored["kept"]}


def test_an_erasure_waits_for_an_item_being_sealed_meanwhile_and_keeps_it_readable(
        database: Database, settings: Settings, stored: dict) -> None:  # type: ignore[type-arg]
    """A gather sealing a new item of the child while retention re-keys them: the erasure waits for
    it and re-seals it too, so the new item is never left under the destroyed key."""
    import threading
    import time

    encryption = RecordEncryption.from_settings(settings)
    gathering = database.sessions()
    try:
        sealed_meanwhile = store_item(gathering, encryption, text="sealed-while-erasing")
        runs: list[int] = []
        eraser = threading.Thread(target=lambda: runs.append(_erase_at(database, settings, datetime(2026, 2, 1, tzinfo=UTC))))
        eraser.start()
        time.sleep(1.0)
        assert eraser.is_alive(), "the erasure must wait for the transaction sealing under the child's key"
        gathering.commit()
    finally:
        gathering.close()
    eraser.join(timeout=60)
    assert runs == [3]
    with database.sessions() as session:
        assert item_ids(session) == {stored["open"], stored["kept"], sealed_meanwhile}
        assert read_text(session, encryption, sealed_meanwhile) == "sealed-while-erasing"
