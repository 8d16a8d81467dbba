from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from broker.platform.keys import KeyUnavailable, ed25519_key
from broker.platform.settings import Settings

PRODUCTION = dict(
    environment="production", database_url="postgresql://db/broker",
    secret_key="x" * 40, public_url="https://broker.example.gov.uk",
)


def test_development_key_is_generated_once_private_and_reused(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    first = ed25519_key(settings, "receipts")
    path = tmp_path / "keys" / "receipts.pem"
    assert path.stat().st_mode & 0o777 == 0o600
    again = ed25519_key(settings, "receipts")
    assert first.public_key().public_bytes_raw() == again.public_key().public_bytes_raw()
    assert ed25519_key(settings, "checkpoints").public_key().public_bytes_raw() != first.public_key().public_bytes_raw()


def test_production_requires_a_configured_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BROKER_KEY_RECEIPTS", raising=False)
    with pytest.raises(KeyUnavailable, match="BROKER_KEY_RECEIPTS must be set"):
        ed25519_key(Settings(data_dir=tmp_path, **PRODUCTION), "receipts")


def test_production_refuses_a_development_key_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ed25519_key(Settings(data_dir=tmp_path), "receipts")
    monkeypatch.setenv("BROKER_KEY_RECEIPTS", f"file:{tmp_path / 'keys' / 'receipts.pem'}")
    with pytest.raises(KeyUnavailable, match="development key"):
        ed25519_key(Settings(data_dir=tmp_path, **PRODUCTION), "receipts")


def test_production_accepts_its_own_key_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    monkeypatch.setenv("BROKER_KEY_RECEIPTS", pem.decode())
    loaded = ed25519_key(Settings(data_dir=tmp_path, **PRODUCTION), "receipts")
    assert loaded.public_key().public_bytes_raw() == key.public_key().public_bytes_raw()


def test_production_settings_refuse_development_defaults() -> None:
    with pytest.raises(ValueError, match="BROKER_SECRET_KEY"):
        Settings(environment="production", database_url="postgresql://db/broker", public_url="https://x")
    with pytest.raises(ValueError, match="PostgreSQL"):
        Settings(**{**PRODUCTION, "database_url": "sqlite:///var/broker.db"})
