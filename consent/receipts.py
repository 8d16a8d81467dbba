"""Consent receipts: what the family was agreeing to, signed so that anyone can check it offline.

The receipt follows the Kantara Consent Receipt Specification v1.1 field names (which ISO/IEC TS
27560 builds on), with a few fields of 27560's consent record that Kantara lacks (the notice
version, the record's state, the grantor's standing, how to withdraw).  It is signed as a compact
JWS with an Ed25519 key (``alg`` ``Ed25519``, RFC 9864); the public key is published as a JWK set.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from joserfc import jws
from joserfc.jwk import KeySet, OKPKey

from consent.errors import NotFound
from consent.schemas import ConsentRead, ConsentVersionRead
from consent.vocabulary import DATA_CATEGORIES, PURPOSES, Status

ALGORITHM = "Ed25519"
RECEIPT_VERSION = "KI-CR-v1.1.0"
_RECEIPT_NAMESPACE = uuid.UUID("0f4b1d52-6c1e-4b9e-8a43-2d7f5c3e9a61")


@dataclass(frozen=True)
class Controller:
    """The data controller named on the receipt, and where the family reaches it."""

    name: str
    email: str | None
    url: str


def _event_name(version: ConsentVersionRead, status: Status) -> str:
    if status is Status.active:
        return "granted" if version.version == 1 else "changed"
    return status.value


def build_receipt(
    consent: ConsentRead, *, version: int | None, organisation_names: Mapping[uuid.UUID, str],
    controller: Controller, withdraw_url: str, event: str | None = None,
) -> dict[str, Any]:
    """The receipt of one event (granted, changed, withdrawn, expired, superseded) of one version
    of ``consent``, as a JSON-ready dict: by default the latest event of the current version."""
    chosen = next((v for v in consent.versions if v.version == (version or consent.current_version)), None)
    if chosen is None:
        raise NotFound("no such version of this consent")
    history = [e for e in consent.status_history if e.version == chosen.version]
    if event is not None:
        history = [e for e in history if _event_name(chosen, e.status) == event]
    if not history:
        raise NotFound(f"this version has no {event} event")
    happened = history[-1]
    event_name, event_time = _event_name(chosen, happened.status), happened.effective_at
    services = []
    for recipient in dict.fromkeys(s.recipient_organisation_id for s in chosen.scope):
        rows = [s for s in chosen.scope if s.recipient_organisation_id == recipient]
        purposes = []
        for purpose in dict.fromkeys(s.purpose for s in rows):
            mine = [s for s in rows if s.purpose == purpose]
            purposes.append({
                "purpose": PURPOSES[purpose].label,
                "purposeCategory": [purpose],
                "consentType": "EXPLICIT",
                "piiCategory": [DATA_CATEGORIES[c].label for c in dict.fromkeys(s.data_category for s in mine)],
                "piiCategoryCodes": list(dict.fromkeys(s.data_category for s in mine)),
                "primaryPurpose": True,
                "termination": (
                    f"until {chosen.valid_until.isoformat()}, or until withdrawn" if chosen.valid_until else "until withdrawn"
                ),
                "thirdPartyDisclosure": True,
                "thirdPartyName": sorted({organisation_names.get(s.holder_organisation_id, str(s.holder_organisation_id)) for s in mine}),
                "documents": sorted({s.document_ref for s in mine if s.document_ref}) or None,
            })
        services.append({"service": organisation_names.get(recipient, str(recipient)), "purposes": purposes})
    categories = {s.data_category for s in chosen.scope}
    sensitive = sorted(c for c in categories if DATA_CATEGORIES[c].tier >= 2)
    return {
        "version": RECEIPT_VERSION,
        "jurisdiction": "GB-ENG",
        "consentTimestamp": int(chosen.recorded_at.timestamp()),
        "collectionMethod": chosen.method.value,
        "consentReceiptID": str(uuid.uuid5(_RECEIPT_NAMESPACE, f"{consent.id}:{chosen.version}:{event_name}")),
        "language": "en",
        "piiPrincipalId": str(consent.subject_id),
        "piiControllers": [{
            "piiController": controller.name,
            "contact": "Data protection officer",
            "email": controller.email,
            "piiControllerUrl": controller.url,
        }],
        "policyUrl": controller.url.rstrip("/") + "/privacy",
        "services": services,
        "sensitive": bool(sensitive),
        "spiCat": [DATA_CATEGORIES[c].label for c in sensitive],
        # ISO/IEC TS 27560 consent record fields
        "recordId": str(consent.id),
        "recordVersion": chosen.version,
        "event": event_name,
        "eventTime": event_time.isoformat(),
        "state": happened.status.value,
        "legalBasis": chosen.basis.value,
        "notice": {"version": chosen.notice_version},
        "grantor": {"name": chosen.grantor_name, "standing": chosen.standing.value,
                    "evidenceRef": chosen.standing_evidence_ref},
        "recordedBy": chosen.recorded_by_name,
        "validFrom": chosen.valid_from.isoformat(),
        "validUntil": chosen.valid_until.isoformat() if chosen.valid_until else None,
        "childsViews": chosen.childs_views,
        "howToWithdraw": (
            "You can withdraw this permission at any time, as easily as you gave it: online at "
            f"{withdraw_url}, or by writing to {controller.email or controller.name}. Withdrawing stops "
            "future sharing at once; it does not undo sharing that has already happened."
        ),
    }


def _signing_key(private_key: Ed25519PrivateKey) -> OKPKey:
    pem = private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return OKPKey.import_key(pem)


def public_jwks(private_key: Ed25519PrivateKey) -> dict[str, Any]:
    """The public half of the receipt key as a JWK set, with its RFC 7638 thumbprint as ``kid``."""
    key = _signing_key(private_key)
    public = key.as_dict(private=False)
    public.update({"kid": key.thumbprint(), "use": "sig", "alg": ALGORITHM})
    return {"keys": [public]}


def sign_receipt(receipt: Mapping[str, Any], private_key: Ed25519PrivateKey) -> str:
    """The receipt as a compact JWS signed with ``private_key``."""
    key = _signing_key(private_key)
    payload = json.dumps(receipt, sort_keys=True, separators=(",", ":")).encode()
    header = {"alg": ALGORITHM, "kid": key.thumbprint(), "typ": "consent-receipt+jws"}
    return jws.serialize_compact(header, payload, key, algorithms=[ALGORITHM])


def verify_receipt(token: str, jwks: Mapping[str, Any]) -> dict[str, Any]:
    """The receipt inside ``token`` if a key of ``jwks`` signed it; raises ``BadSignatureError`` otherwise.

    Needs only the published key set: no database, no network.
    """
    keys = KeySet.import_key_set(dict(jwks))  # type: ignore[arg-type]
    return json.loads(jws.deserialize_compact(token, keys, algorithms=[ALGORITHM]).payload)
