from __future__ import annotations

import base64
import json
import secrets
from pathlib import Path

import pytest

from broker.platform.keys import KeyUnavailable
from broker.platform.settings import Settings
from broker.records.encryption.keyring import add_development_kek, fingerprint, load_keyring, remove_development_kek

PRODUCTION = dict(
    environment="production", database_url="postgresql://db/broker",
    secret_key="x" * 40, public_url="https://broker.example.gov.uk",
)


def _b64() -> str:
    return base64.b64encode(secrets.token_bytes(32)).decode()


def test_development_key_file_is_generated_once_private_and_reused(tmp_path: Path) -> None:
    settings = Settings(environment="test", data_dir=tmp_path)
    first = load_keyring(settings)
    path = tmp_path / "keys" / "keks.json"
    assert path.stat().st_mode & 0o777 == 0o600
    assert json.loads(path.read_text())["development"] is True
    again = load_keyring(settings)
    assert again.keys == first.keys and again.current_id == first.current_id
    assert first.development and len(first.current()[1]) == 32
    assert base64.b64encode(first.current()[1]).decode() not in repr(first)
    assert first.current()[1].hex() not in repr(first)


def test_a_new_development_kek_becomes_current_and_the_old_stays_until_retired(tmp_path: Path) -> None:
    settings = Settings(environment="test", data_dir=tmp_path)
    old = load_keyring(settings).current_id
    new = add_development_kek(settings)
    keyring = load_keyring(settings)
    assert keyring.current_id == new and set(keyring.keys) == {old, new}
    assert (tmp_path / "keys" / "keks.json").stat().st_mode & 0o777 == 0o600
    with pytest.raises(KeyUnavailable, match="current"):
        remove_development_kek(settings, new)
    assert remove_development_kek(settings, old) is True
    assert set(load_keyring(settings).keys) == {new}


def test_production_requires_keks_from_the_environment(tmp_path: Path) -> None:
    load_keyring(Settings(environment="test", data_dir=tmp_path))  # a development file exists...
    with pytest.raises(KeyUnavailable, match="BROKER_KEKS must be set"):
        load_keyring(Settings(data_dir=tmp_path, **PRODUCTION))  # ...and is not used


def test_production_refuses_the_development_key_file(tmp_path: Path) -> None:
    load_keyring(Settings(environment="test", data_dir=tmp_path))
    settings = Settings(data_dir=tmp_path, keks=f"file:{tmp_path / 'keys' / 'keks.json'}", **PRODUCTION)
    with pytest.raises(KeyUnavailable, match="development key file"):
        load_keyring(settings)


def test_production_reads_several_keks_and_the_named_current_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    keks = {"2026-11": _b64(), "2027-02": _b64()}
    monkeypatch.setenv("BROKER_KEKS", json.dumps(keks))
    monkeypatch.setenv("BROKER_CURRENT_KEK", "2027-02")
    keyring = load_keyring(Settings(data_dir=tmp_path, **PRODUCTION))
    assert keyring.current_id == "2027-02" and set(keyring.keys) == set(keks)
    assert not keyring.development
    assert not (tmp_path / "keys").exists()
    file = tmp_path / "keks.json"
    file.write_text(json.dumps(keks))
    from_file = load_keyring(Settings(data_dir=tmp_path, keks=f"file:{file}", current_kek="2026-11", **PRODUCTION))
    assert from_file.current_id == "2026-11" and from_file.keys == keyring.keys


@pytest.mark.parametrize("keks,current,message", [
    ({"a": _b64(), "b": _b64()}, None, "set BROKER_CURRENT_KEK"),
    ({"a": _b64()}, "b", "not among the configured"),
    ({"a": base64.b64encode(b"short").decode()}, None, "32 bytes"),
    ({"a": "not base64!"}, None, "not valid base64"),
    ({"bad id": _b64()}, None, "not a valid KEK id"),
    ({}, None, "no KEKs"),
])
def test_bad_kek_configuration_is_refused_with_a_clear_message(
    tmp_path: Path, keks: dict[str, str], current: str | None, message: str,
) -> None:
    settings = Settings(data_dir=tmp_path, keks=json.dumps(keks), current_kek=current, **PRODUCTION)
    with pytest.raises(KeyUnavailable, match=message) as caught:
        load_keyring(settings)
    for value in keks.values():
        assert value not in str(caught.value)


def test_production_cannot_add_a_development_kek(tmp_path: Path) -> None:
    with pytest.raises(KeyUnavailable, match="BROKER_KEKS"):
        add_development_kek(Settings(data_dir=tmp_path, keks=json.dumps({"a": _b64()}), **PRODUCTION))


def test_fingerprints_differ_between_keys_and_reveal_nothing() -> None:
    a, b = secrets.token_bytes(32), secrets.token_bytes(32)
    assert fingerprint(a) != fingerprint(b) and len(fingerprint(a)) == 16
    assert fingerprint(a) not in a.hex()
