from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import uuid
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy import func, select
from typer.testing import CliRunner

from broker.cli import app as cli
from broker.platform.db import Database
from broker.platform.keys import KeyUnavailable
from broker.platform.settings import Settings
from broker.records.encryption import repository
from broker.records.encryption.envelope import unwrap_data_key, wrap_data_key
from broker.records.encryption.keyring import add_development_kek, load_keyring
from broker.records.encryption.models import KeyEncryptionKeyRecord, SubjectDataKey
from broker.records.encryption.rotation import RetirementRefused, key_status, retire, rotate
from broker.records.encryption.service import RecordEncryption, RecordShredded, shred_subject
from consent.models import utcnow
from tests.broker.audit_entries import entries_since, next_seq
from tests.broker.records.encryption.conftest import ITEMS, make_subject, read_item, store_item

BROKER = str(Path(sys.executable).parent / "broker")


def _seed(database: Database, settings: Settings, subjects: int) -> dict[uuid.UUID, bytes]:
    """One subject per data key, one sealed item each; returns item id -> plaintext."""
    encryption = RecordEncryption.from_settings(settings)
    contents = {}
    with database.unit_of_work() as session:
        for n in range(subjects):
            subject = make_subject(session, given_name=f"Child{n}")
            content = f"advice for child {n}: {uuid.uuid4()}".encode()
            contents[store_item(session, encryption, subject, content)] = content
    return contents


def _keks_in_use(database: Database) -> dict[str | None, int]:
    with database.sessions() as session:
        return dict(session.execute(
            select(SubjectDataKey.kek_id, func.count()).where(SubjectDataKey.destroyed_at.is_(None))
            .group_by(SubjectDataKey.kek_id)
        ).all())


def _all_readable(database: Database, settings: Settings, contents: dict[uuid.UUID, bytes]) -> None:
    reader = RecordEncryption.from_settings(settings)
    with database.sessions() as session:
        for item, content in contents.items():
            assert read_item(session, reader, item) == content


def _env(settings: Settings) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BROKER_")}
    env.update(BROKER_ENVIRONMENT="test", BROKER_DATABASE_URL=settings.database_url, BROKER_DATA_DIR=str(settings.data_dir))
    return env


def test_rotation_rewraps_every_data_key_and_leaves_items_untouched(database: Database, settings: Settings, items_table) -> None:
    contents = _seed(database, settings, 25)
    old = load_keyring(settings).current_id
    with database.sessions() as session:
        sealed_before = dict(session.execute(select(ITEMS.c.id, ITEMS.c.content)).all())
        wrapped_before = dict(session.execute(select(SubjectDataKey.id, SubjectDataKey.wrapped_key)).all())
    new = add_development_kek(settings)
    seen = []
    progress = rotate(database, load_keyring(settings), batch_size=10, on_batch=lambda p: seen.append(p.rewrapped))
    assert progress.total == 25 and progress.rewrapped == 25 and seen == [10, 20, 25]
    assert _keks_in_use(database) == {new: 25}
    with database.sessions() as session:
        assert dict(session.execute(select(ITEMS.c.id, ITEMS.c.content)).all()) == sealed_before
        wrapped_after = dict(session.execute(select(SubjectDataKey.id, SubjectDataKey.wrapped_key)).all())
        assert all(wrapped_after[k] != wrapped_before[k] for k in wrapped_before)
    _all_readable(database, settings, contents)
    again = rotate(database, load_keyring(settings))
    assert again.total == 0 and again.rewrapped == 0
    with database.sessions() as session:
        status = key_status(session, load_keyring(settings))
    assert {(k.kek_id, k.live_data_keys, k.current) for k in status.keks} == {(old, 0, False), (new, 25, True)}


def test_rotation_never_revives_a_key_shredded_meanwhile(database: Database, settings: Settings, items_table) -> None:
    contents = _seed(database, settings, 5)
    add_development_kek(settings)
    keyring = load_keyring(settings)
    encryption = RecordEncryption.from_settings(settings)
    with database.sessions() as session:
        (row,) = repository.keys_to_rewrap(session, keyring.current_id, list(keyring.keys), 1)
    with database.unit_of_work() as session:  # shredded after the rotation read the key...
        shred_subject(session, encryption, row.subject_id, reason="erasure request")
    with database.unit_of_work() as session:  # ...so its re-wrapped copy is not written
        data_key = unwrap_data_key(keyring.get(row.kek_id), row.kek_id, row.subject_id, row.purpose, row.wrapped_key)
        rewrapped = wrap_data_key(keyring.current()[1], keyring.current_id, row.subject_id, row.purpose, data_key)
        assert repository.replace_wrappings(session, [{
            "key_id": row.id, "old_kek_id": row.kek_id, "new_wrapped_key": rewrapped,
            "new_kek_id": keyring.current_id, "now": utcnow(),
        }]) == 0
    progress = rotate(database, keyring, batch_size=2)
    assert progress.rewrapped == 4
    with database.sessions() as session:
        victim = session.get(SubjectDataKey, row.id)
        assert victim.wrapped_key is None and victim.destroyed_at is not None
        victim_items = session.execute(select(ITEMS.c.id).where(ITEMS.c.subject_id == row.subject_id)).scalars().all()
        for item in victim_items:
            with pytest.raises(RecordShredded):
                read_item(session, encryption, item)
    _all_readable(database, settings, {k: v for k, v in contents.items() if k not in victim_items})


def test_concurrent_reads_during_rotation_all_succeed(database: Database, settings: Settings, items_table) -> None:
    contents = _seed(database, settings, 120)
    items = list(contents)
    # readers started before the new KEK existed, like a running service; no cache, so every read unwraps
    readers = [
        RecordEncryption(load_keyring(settings), cache_size=0, reload=lambda current: load_keyring(settings, fallback_current=current))
        for _ in range(3)
    ]
    new = add_development_kek(settings)
    done = threading.Event()
    reads_during: list[int] = [0, 0, 0]
    failures: list[BaseException] = []

    def read(n: int) -> None:
        rng = random.Random(n)
        try:
            while not done.is_set():
                with database.sessions() as session:
                    item = rng.choice(items)
                    assert read_item(session, readers[n], item) == contents[item]
                reads_during[n] += 1
        except BaseException as exc:  # noqa: BLE001 - reported below
            failures.append(exc)

    threads = [threading.Thread(target=read, args=(n,)) for n in range(3)]
    for thread in threads:
        thread.start()
    try:
        progress = rotate(database, load_keyring(settings), batch_size=10, throttle_seconds=0.02)
    finally:
        done.set()
        for thread in threads:
            thread.join()
    assert failures == []
    assert progress.rewrapped == 120 and progress.batches == 12
    assert sum(reads_during) > progress.batches, "the readers must have run while the rotation did"
    assert all(new in reader.keyring.keys for reader in readers)
    assert _keks_in_use(database) == {new: 120}
    _all_readable(database, settings, contents)


@pytest.mark.slow
def test_rotation_killed_mid_way_loses_nothing_and_resumes(database: Database, settings: Settings, items_table) -> None:
    contents = _seed(database, settings, 200)
    old = load_keyring(settings).current_id
    process = subprocess.Popen(
        [BROKER, "keys", "rotate", "--new-kek", "--batch-size", "10", "--throttle", "0.2"],
        env=_env(settings), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        for line in process.stderr:  # type: ignore[union-attr]
            if "(batch 3)" in line:
                process.send_signal(signal.SIGKILL)
                break
    finally:
        process.wait(timeout=60)
    assert process.returncode == -signal.SIGKILL
    new = load_keyring(settings).current_id
    assert new != old
    in_use = _keks_in_use(database)
    assert in_use.get(new, 0) >= 30 and in_use.get(old, 0) > 0 and sum(in_use.values()) == 200
    _all_readable(database, settings, contents)

    resumed = subprocess.run(
        [BROKER, "keys", "rotate", "--batch-size", "50"],
        env=_env(settings), capture_output=True, text=True, timeout=120,
    )
    assert resumed.returncode == 0, resumed.stderr
    assert f"under {new}" in resumed.stdout and "of " in resumed.stderr
    assert _keks_in_use(database) == {new: 200}
    _all_readable(database, settings, contents)


def test_retiring_a_kek_is_refused_while_anything_uses_it(database: Database, settings: Settings, items_table) -> None:
    contents = _seed(database, settings, 3)
    old = load_keyring(settings).current_id
    new = add_development_kek(settings)
    keyring = load_keyring(settings)
    with database.sessions() as session:
        with pytest.raises(RetirementRefused, match="3 data key"):
            retire(session, keyring, old)
        with pytest.raises(RetirementRefused, match="current"):
            retire(session, keyring, new)
        with pytest.raises(RetirementRefused, match="no KEK"):
            retire(session, keyring, "never-heard-of-it")
    rotate(database, keyring)
    with database.unit_of_work() as session:
        assert retire(session, keyring, old).retired_at is not None
    # a process still configured with the retired KEK as current may not wrap new keys with it
    stale = RecordEncryption(load_keyring(settings.model_copy(update={"current_kek": old})))
    with database.unit_of_work() as session:
        subject = make_subject(session)
    with database.unit_of_work() as session:
        with pytest.raises(KeyUnavailable, match="retired"):
            stale.seal(session, subject, "sealed_items", uuid.uuid4(), "content", b"x")
    _all_readable(database, settings, contents)


def test_a_kek_id_configured_with_other_bytes_is_refused(database: Database, settings: Settings, items_table) -> None:
    _seed(database, settings, 1)
    keyring = load_keyring(settings)
    wrong = type(keyring)(keys={keyring.current_id: os.urandom(32)}, current_id=keyring.current_id, source="test")
    with pytest.raises(KeyUnavailable, match="other bytes"):
        rotate(database, wrong)
    with database.unit_of_work() as session:
        with pytest.raises(KeyUnavailable, match="other bytes"):
            RecordEncryption(wrong).seal(session, make_subject(session), "sealed_items", uuid.uuid4(), "content", b"x")


def test_the_keys_commands(database: Database, settings: Settings, items_table, monkeypatch: pytest.MonkeyPatch) -> None:
    contents = _seed(database, settings, 4)
    for name, value in _env(settings).items():
        if name.startswith("BROKER_"):
            monkeypatch.setenv(name, value)
    monkeypatch.delenv("BROKER_KEKS", raising=False)
    runner = CliRunner()
    old = load_keyring(settings).current_id

    status = runner.invoke(cli, ["keys", "status", "--json"])
    assert status.exit_code == 0, status.output
    assert json.loads(status.output)["keks"][0] | {"fingerprint": None} == {
        "kek_id": old, "configured": True, "current": True, "fingerprint": None, "fingerprint_matches": True,
        "live_data_keys": 4, "retired_at": None,
    }
    refused = runner.invoke(cli, ["keys", "retire", old])
    assert refused.exit_code == 1 and "current" in refused.output

    rotated = runner.invoke(cli, ["keys", "rotate", "--new-kek", "--batch-size", "3"])
    assert rotated.exit_code == 0, rotated.output
    new = load_keyring(settings).current_id
    assert "4 data keys re-wrapped" in rotated.output and "batch 2" in rotated.output
    retired = runner.invoke(cli, ["keys", "retire", old])
    assert retired.exit_code == 0 and "removed from the development key file" in retired.output
    assert set(load_keyring(settings).keys) == {new}
    table = runner.invoke(cli, ["keys", "status"])
    assert old in table.output and new in table.output and "live data keys: 4" in table.output

    with database.sessions() as session:
        subject = session.execute(select(ITEMS.c.subject_id).limit(1)).scalar_one()
    assert runner.invoke(cli, ["keys", "shred", "not-a-uuid", "--reason", "x", "--yes"]).exit_code == 2
    assert runner.invoke(cli, ["keys", "shred", str(uuid.uuid4()), "--reason", "x", "--yes"]).exit_code == 1
    aborted = runner.invoke(cli, ["keys", "shred", str(subject), "--reason", "erasure IG-7"], input="n\n")
    assert aborted.exit_code == 1 and _keks_in_use(database) == {new: 4}
    with database.sessions() as session:
        seq = next_seq(session)
    shredded = runner.invoke(cli, ["keys", "shred", str(subject), "--reason", "erasure IG-7", "--yes"])
    assert shredded.exit_code == 0 and "1 data key(s) destroyed" in shredded.output
    with database.sessions() as session:
        (event,) = entries_since(session, seq)
        assert (event.event_type, event.subject_id, event.reason) == ("records.shredded", str(subject), "erasure IG-7")
        assert session.get(KeyEncryptionKeyRecord, old).retired_at is not None
        item = session.execute(select(ITEMS.c.id).where(ITEMS.c.subject_id == subject)).scalar_one()
        with pytest.raises(RecordShredded):
            read_item(session, RecordEncryption.from_settings(settings), item)
    assert json.loads(runner.invoke(cli, ["keys", "status", "--json"]).output)["destroyed_data_keys"] == 1
    _all_readable(database, settings, {k: v for k, v in contents.items() if k != item})


def test_production_refuses_to_start_with_the_development_key_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    development = Settings(environment="development", data_dir=tmp_path)
    load_keyring(development)
    for name, value in {
        "BROKER_ENVIRONMENT": "production", "BROKER_DATABASE_URL": "postgresql://127.0.0.1:1/none",
        "BROKER_SECRET_KEY": "s" * 40, "BROKER_PUBLIC_URL": "https://broker.example.gov.uk",
        "BROKER_DATA_DIR": str(tmp_path), "BROKER_KEKS": f"file:{tmp_path / 'keys' / 'keks.json'}",
    }.items():
        monkeypatch.setenv(name, value)
    result = CliRunner().invoke(cli, ["keys", "status"])
    assert result.exit_code == 2 and "development key file" in result.output
    from broker.app import create_app

    with pytest.raises(KeyUnavailable, match="development key file"):
        create_app(Settings())


def test_a_running_process_with_a_kek_file_follows_a_rotation_done_elsewhere(
    database: Database, settings: Settings, tmp_path: Path, items_table,
) -> None:
    import base64

    kek_file = tmp_path / "production-keks.json"
    first = {"2026-11": base64.b64encode(os.urandom(32)).decode()}
    kek_file.write_text(json.dumps(first))
    running = settings.model_copy(update={"keks": SecretStr(f"file:{kek_file}")})
    service = RecordEncryption.from_settings(running)
    service_no_cache = RecordEncryption(service.keyring, cache_size=0, reload=lambda current: load_keyring(running, fallback_current=current))
    contents = _seed(database, running, 3)
    kek_file.write_text(json.dumps({**first, "2027-02": base64.b64encode(os.urandom(32)).decode()}))
    operator = running.model_copy(update={"current_kek": "2027-02"})
    assert rotate(database, load_keyring(operator)).rewrapped == 3
    with database.sessions() as session:
        for item, content in contents.items():
            assert read_item(session, service_no_cache, item) == content
    assert set(service_no_cache.keyring.keys) == {"2026-11", "2027-02"}
    assert service_no_cache.keyring.current_id == "2026-11"  # until this process is told otherwise
