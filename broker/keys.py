"""Signing keys the broker holds: receipts, audit checkpoints, the development identity provider.

In development and test a key is generated on first use into ``<data_dir>/keys/<name>.pem`` (file
mode 0600) and reused after.  In production each key must come from the environment variable
``BROKER_KEY_<NAME>`` (a PEM-encoded PKCS#8 private key, or ``file:/path/to/key.pem``) and a
generated development key file is refused.
"""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from broker.settings import Settings

DEVELOPMENT_MARKER = b"# generated for development; never use in production\n"


class KeyUnavailable(RuntimeError):
    """A key the broker needs is missing or not acceptable for this environment."""


def _env_name(name: str) -> str:
    return "BROKER_KEY_" + name.upper().replace("-", "_")


def _load_pem(data: bytes, name: str) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(data.replace(DEVELOPMENT_MARKER, b""), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyUnavailable(f"key {name!r} is not an Ed25519 private key")
    return key


def ed25519_key(settings: Settings, name: str) -> Ed25519PrivateKey:
    """The Ed25519 signing key called ``name`` (for example ``receipts`` or ``checkpoints``)."""
    configured = os.environ.get(_env_name(name))
    if configured:
        data = Path(configured[5:]).read_bytes() if configured.startswith("file:") else configured.encode()
        if settings.is_production and DEVELOPMENT_MARKER in data:
            raise KeyUnavailable(f"{_env_name(name)} holds a development key; production needs its own")
        return _load_pem(data, name)
    if settings.is_production:
        raise KeyUnavailable(f"{_env_name(name)} must be set in production")
    path = settings.data_dir / "keys" / f"{name}.pem"
    if path.exists():
        return _load_pem(path.read_bytes(), name)
    path.parent.mkdir(parents=True, exist_ok=True)
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(DEVELOPMENT_MARKER + pem)
    return key
