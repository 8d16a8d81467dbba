"""Key-encryption keys (KEKs): where they come from, which is current, and their fingerprints.

A KEK is 32 random bytes with an id (letters, digits, ``.``, ``_``, ``-``).  Several may be live at
once while data keys are re-wrapped (``broker keys rotate``); one is *current* and wraps every new
data key.

* Production: ``BROKER_KEKS`` is a JSON object ``{"<id>": "<base64 of 32 bytes>", ...}`` or
  ``file:/path/to/keks.json`` naming a file that holds that object (or the key file format below);
  ``BROKER_CURRENT_KEK`` names the current one (needed when there are several).  A development key
  file is refused, and so is starting without ``BROKER_KEKS``.
* Development and test, when ``BROKER_KEKS`` is unset: ``<data_dir>/keys/keks.json`` is generated on
  first use (mode 0600) as ``{"development": true, "current": "<id>", "keys": {"<id>": "<base64>"}}``;
  ``broker keys rotate --new-kek`` adds a KEK to it and makes it current.

The fingerprint of a KEK (first 16 hex digits of HMAC-SHA256 of a fixed label) lets an operator
compare configurations between processes without revealing the key.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from broker.platform.clock import utcnow
from broker.platform.keys import KeyUnavailable
from broker.platform.settings import Settings
from broker.records.encryption.envelope import KEY_BYTES

_KEK_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
DEVELOPMENT_FILE = Path("keys") / "keks.json"


def fingerprint(kek: bytes) -> str:
    """A short, non-secret identifier of a KEK's bytes."""
    return hmac.new(kek, b"broker.kek-fingerprint", hashlib.sha256).hexdigest()[:16]


@dataclass(frozen=True)
class Keyring:
    """The KEKs this process holds, and which of them wraps new data keys."""

    keys: Mapping[str, bytes]
    current_id: str
    source: str
    development: bool = False

    def current(self) -> tuple[str, bytes]:
        return self.current_id, self.keys[self.current_id]

    def get(self, kek_id: str) -> bytes:
        try:
            return self.keys[kek_id]
        except KeyError:
            raise KeyUnavailable(f"KEK {kek_id!r} is not configured ({self.source})") from None

    def __repr__(self) -> str:  # never print key bytes
        return f"Keyring(ids={sorted(self.keys)}, current={self.current_id!r}, source={self.source!r})"


def development_key_file(settings: Settings) -> Path:
    return settings.data_dir / DEVELOPMENT_FILE


def _decode_keys(raw: Mapping[str, object], source: str) -> dict[str, bytes]:
    keys: dict[str, bytes] = {}
    for kek_id, encoded in raw.items():
        if not _KEK_ID.match(kek_id):
            raise KeyUnavailable(f"{source}: {kek_id!r} is not a valid KEK id (letters, digits, . _ -)")
        try:
            key = base64.b64decode(str(encoded), validate=True)
        except (binascii.Error, ValueError):
            raise KeyUnavailable(f"{source}: KEK {kek_id!r} is not valid base64") from None
        if len(key) != KEY_BYTES:
            raise KeyUnavailable(f"{source}: KEK {kek_id!r} must be 32 bytes (AES-256), not {len(key)}")
        keys[kek_id] = key
    if not keys:
        raise KeyUnavailable(f"{source}: no KEKs are configured")
    return keys


def _keyring_from_document(
    document: object, source: str, current: str | None, *, production: bool, fallback_current: str | None = None,
) -> Keyring:
    if not isinstance(document, dict):
        raise KeyUnavailable(f"{source} must hold a JSON object")
    development = bool(document.get("development"))
    if development and production:
        raise KeyUnavailable(f"{source} is a development key file; production needs its own KEKs")
    raw = document["keys"] if isinstance(document.get("keys"), dict) else document
    keys = _decode_keys({k: v for k, v in raw.items() if k not in ("development", "current", "note")}, source)
    current = current or (document.get("current") if raw is not document else None)
    if current is None and fallback_current in keys:
        current = fallback_current
    if current is None:
        if len(keys) > 1:
            raise KeyUnavailable(f"{source} holds several KEKs: set BROKER_CURRENT_KEK to the one for new keys")
        current = next(iter(keys))
    if current not in keys:
        raise KeyUnavailable(f"the current KEK {current!r} is not among the configured ones ({source})")
    return Keyring(keys=keys, current_id=current, source=source, development=development)


def load_keyring(settings: Settings, *, fallback_current: str | None = None) -> Keyring:
    """The KEKs for ``settings``; generates the development key file on first use outside production.

    ``fallback_current``: when re-reading a KEK file that has gained a KEK, the current KEK a
    running process keeps using until it is told otherwise.
    """
    configured = settings.keks.get_secret_value().strip() if settings.keks else ""
    if configured:
        if configured.startswith("file:"):
            path = Path(configured[5:])
            source = f"KEK file {path}"
            try:
                text = path.read_text()
            except OSError as exc:
                raise KeyUnavailable(f"{source} cannot be read: {exc.strerror}") from None
        else:
            source, text = "BROKER_KEKS", configured
        try:
            document = json.loads(text)
        except json.JSONDecodeError:
            raise KeyUnavailable(f"{source} is not valid JSON") from None
        return _keyring_from_document(
            document, source, settings.current_kek, production=settings.is_production, fallback_current=fallback_current,
        )
    if settings.is_production:
        raise KeyUnavailable("BROKER_KEKS must be set in production")
    path = development_key_file(settings)
    if not path.exists():
        _create_development_file(path)
    return _keyring_from_document(
        json.loads(path.read_text()), f"development key file {path}", settings.current_kek, production=False,
        fallback_current=fallback_current,
    )


def new_kek_id() -> str:
    return f"kek-{utcnow():%Y%m%d%H%M%S}-{secrets.token_hex(2)}"


def _write_private(path: Path, document: dict[str, object], *, exclusive: bool) -> None:
    """Write the key file whole or not at all (0600); ``exclusive`` keeps a file another process made first."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f"{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(json.dumps(document, indent=2).encode())
            handle.flush()
            os.fsync(handle.fileno())
        if exclusive:
            try:
                os.link(temporary, path)
            except FileExistsError:
                pass  # another process made it first; use theirs
        else:
            os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def _create_development_file(path: Path) -> None:
    kek_id = new_kek_id()
    _write_private(path, {
        "development": True,
        "note": "generated for development; never use in production",
        "current": kek_id,
        "keys": {kek_id: base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode()},
    }, exclusive=True)


def add_development_kek(settings: Settings) -> str:
    """Add a new KEK to the development key file and make it current; returns its id."""
    if settings.keks or settings.is_production:
        raise KeyUnavailable(
            "KEKs come from BROKER_KEKS here: add the new KEK there, set BROKER_CURRENT_KEK to it "
            "on every process, then run `broker keys rotate` without --new-kek"
        )
    load_keyring(settings)  # makes the file if it is missing
    path = development_key_file(settings)
    document = json.loads(path.read_text())
    kek_id = new_kek_id()
    document["keys"][kek_id] = base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode()
    document["current"] = kek_id
    _write_private(path, document, exclusive=False)
    return kek_id


def remove_development_kek(settings: Settings, kek_id: str) -> bool:
    """Delete a retired KEK from the development key file; False when keys come from BROKER_KEKS."""
    if settings.keks or settings.is_production:
        return False
    path = development_key_file(settings)
    document = json.loads(path.read_text())
    if document.get("current") == kek_id:
        raise KeyUnavailable(f"KEK {kek_id!r} is current and cannot be removed")
    if document["keys"].pop(kek_id, None) is None:
        return False
    _write_private(path, document, exclusive=False)
    return True
