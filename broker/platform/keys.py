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
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from broker.platform.settings import Settings

DEVELOPMENT_MARKER = b"# generated for development; never use in production\n"


class KeyUnavailable(RuntimeError):
    """A key the broker needs is missing or not acceptable for this environment."""


def _env_name(name: str) -> str:
    return "BROKER_KEY_" + name.upper().replace("-", "_")


SigningKey = Ed25519PrivateKey | rsa.RSAPrivateKey


def _load_pem(data: bytes, name: str, kind: str) -> SigningKey:
    key = serialization.load_pem_private_key(data.replace(DEVELOPMENT_MARKER, b""), password=None)
    if kind == "rsa" and isinstance(key, rsa.RSAPrivateKey):
        return key
    if kind == "ed25519" and isinstance(key, Ed25519PrivateKey):
        return key
    raise KeyUnavailable(f"key {name!r} is not an {kind} private key")


def _generate(kind: str) -> SigningKey:
    if kind == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return Ed25519PrivateKey.generate()


def ed25519_key(settings: Settings, name: str) -> Ed25519PrivateKey:
    """The Ed25519 signing key called ``name`` (for example ``receipts`` or ``checkpoints``)."""
    key = _private_key(settings, name, "ed25519")
    assert isinstance(key, Ed25519PrivateKey)  # _load_pem and _generate give the kind asked for
    return key


def rsa_key(settings: Settings, name: str) -> rsa.RSAPrivateKey:
    """The RSA signing key called ``name`` (for JWTs that every OpenID Connect client accepts: RS256)."""
    key = _private_key(settings, name, "rsa")
    assert isinstance(key, rsa.RSAPrivateKey)  # _load_pem and _generate give the kind asked for
    return key


def _private_key(settings: Settings, name: str, kind: str) -> SigningKey:
    configured = os.environ.get(_env_name(name))
    if configured:
        data = Path(configured[5:]).read_bytes() if configured.startswith("file:") else configured.encode()
        if settings.is_production and DEVELOPMENT_MARKER in data:
            raise KeyUnavailable(f"{_env_name(name)} holds a development key; production needs its own")
        return _load_pem(data, name, kind)
    if settings.is_production:
        raise KeyUnavailable(f"{_env_name(name)} must be set in production")
    path = settings.data_dir / "keys" / f"{name}.pem"
    if path.exists():
        return _load_pem(path.read_bytes(), name, kind)
    path.parent.mkdir(parents=True, exist_ok=True)
    key = _generate(kind)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    # Write aside, then link into place: a concurrent first run keeps whichever key landed first.
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(DEVELOPMENT_MARKER + pem)
    try:
        os.link(temporary, path)
    except FileExistsError:
        return _load_pem(path.read_bytes(), name, kind)
    finally:
        temporary.unlink()
    return key
