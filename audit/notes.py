"""C2SP signed notes (https://c2sp.org/signed-note) with Ed25519, and tlog-checkpoint bodies.

A checkpoint body (https://c2sp.org/tlog-checkpoint) is three lines: the log's origin, the tree
size in decimal, and the base64 root hash.  The signed note is that body, a blank line, and one
line per signature: an em dash (U+2014), a space, the key name, a space, and
base64(key id || Ed25519 signature over the body).  The key id is the first four bytes of
SHA-256(key name || 0x0A || 0x01 || public key); a verifier key is written
``<name>+<hex key id>+<base64(0x01 || public key)>``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

ED25519 = b"\x01"
SIGNATURE_PREFIX = "\u2014 "


class NoteError(ValueError):
    """A note, checkpoint or verifier key that is malformed or not validly signed."""


def _check_name(name: str) -> None:
    if not name or any(c.isspace() or c == "+" for c in name):
        raise NoteError("a key name must be non-empty, without spaces or '+'")


def _raw_public(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(name: str, public_key: Ed25519PublicKey) -> bytes:
    """The 4-byte id of ``name``'s Ed25519 key: SHA-256(name || 0x0A || 0x01 || key)[:4]."""
    return hashlib.sha256(name.encode() + b"\n" + ED25519 + _raw_public(public_key)).digest()[:4]


def verifier_key(name: str, public_key: Ed25519PublicKey) -> str:
    """The C2SP verifier key text ``<name>+<hex key id>+<base64(0x01 || key)>``."""
    _check_name(name)
    encoded = base64.b64encode(ED25519 + _raw_public(public_key)).decode()
    return f"{name}+{key_id(name, public_key).hex()}+{encoded}"


@dataclass(frozen=True)
class Verifier:
    name: str
    key_id: bytes
    public_key: Ed25519PublicKey


def parse_verifier_key(text: str) -> Verifier:
    """Read a verifier key written by :func:`verifier_key`, checking its id matches its key."""
    parts = text.strip().split("+", 2)
    if len(parts) != 3:
        raise NoteError("a verifier key has the form <name>+<hex key id>+<base64 key>")
    name, hex_id, encoded = parts
    _check_name(name)
    try:
        raw = base64.b64decode(encoded, validate=True)
        stated_id = bytes.fromhex(hex_id)
    except (binascii.Error, ValueError):
        raise NoteError("the verifier key is not well formed") from None
    if len(raw) != 33 or raw[:1] != ED25519 or len(stated_id) != 4:
        raise NoteError("only Ed25519 verifier keys are supported")
    public_key = Ed25519PublicKey.from_public_bytes(raw[1:])
    if key_id(name, public_key) != stated_id:
        raise NoteError("the verifier key's id does not match its key")
    return Verifier(name, stated_id, public_key)


def sign_note(body: str, name: str, private_key: Ed25519PrivateKey) -> str:
    """``body`` (ending in a newline) signed by ``name``'s key, as a C2SP signed note."""
    _check_name(name)
    if not body.endswith("\n") or "\n\n" in body:
        raise NoteError("a note body ends with a newline and has no blank lines")
    signature = private_key.sign(body.encode())
    encoded = base64.b64encode(key_id(name, private_key.public_key()) + signature).decode()
    return f"{body}\n{SIGNATURE_PREFIX}{name} {encoded}\n"


def open_note(note: str, verifier: Verifier) -> str:
    """The body of ``note`` if ``verifier``'s key signed it; :class:`NoteError` otherwise."""
    cut = note.rfind("\n\n")
    if cut < 0 or not note.endswith("\n"):
        raise NoteError("not a signed note")
    body, signatures = note[: cut + 1], note[cut + 2:].splitlines()
    for line in signatures:
        if not line.startswith(SIGNATURE_PREFIX):
            raise NoteError("a signature line is malformed")
        try:
            name, encoded = line[len(SIGNATURE_PREFIX):].split(" ")
            raw = base64.b64decode(encoded, validate=True)
        except (ValueError, binascii.Error):
            raise NoteError("a signature line is malformed") from None
        if name != verifier.name or raw[:4] != verifier.key_id:
            continue
        try:
            verifier.public_key.verify(raw[4:], body.encode())
        except InvalidSignature:
            raise NoteError(f"the signature by {name} does not verify") from None
        return body
    raise NoteError(f"the note carries no signature by {verifier.name}")


def checkpoint_body(origin: str, tree_size: int, root: bytes) -> str:
    """The C2SP tlog-checkpoint body for a tree of ``tree_size`` entries with ``root``."""
    if not origin or "\n" in origin:
        raise NoteError("a checkpoint origin is one non-empty line")
    return f"{origin}\n{tree_size}\n{base64.b64encode(root).decode()}\n"


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    tree_size: int
    root: bytes


def parse_checkpoint(body: str) -> Checkpoint:
    """Read a checkpoint body (extension lines after the third are allowed and ignored)."""
    lines = body.split("\n")
    if len(lines) < 4 or lines[-1] != "":
        raise NoteError("a checkpoint has an origin, a size and a root hash, one a line")
    origin, size_text, root_text = lines[:3]
    if not size_text.isdigit() or (size_text.startswith("0") and size_text != "0"):
        raise NoteError("the checkpoint's tree size is not a decimal number")
    try:
        root = base64.b64decode(root_text, validate=True)
    except binascii.Error:
        raise NoteError("the checkpoint's root hash is not base64") from None
    if len(root) != 32 or not origin:
        raise NoteError("the checkpoint is malformed")
    return Checkpoint(origin, int(size_text), root)
