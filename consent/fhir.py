"""Export a consent as a FHIR R4 ``Consent`` resource, validated with the ``fhir.resources`` R4B models."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from fhir.resources.R4B.consent import Consent as FhirConsent

from consent.errors import NotFound
from consent.schemas import ConsentRead, ConsentVersionRead
from consent.vocabulary import DATA_CATEGORIES, PURPOSES, Status

CODE_SYSTEM_BASE = "https://send-consent-broker.example.gov.uk/fhir/CodeSystem"
CATEGORY_SYSTEM = f"{CODE_SYSTEM_BASE}/data-category"
PURPOSE_SYSTEM = f"{CODE_SYSTEM_BASE}/purpose"
BASIS_SYSTEM = f"{CODE_SYSTEM_BASE}/basis"
PARTICIPATION = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"

_STATUS = {Status.active: "active", Status.withdrawn: "inactive", Status.expired: "inactive", Status.superseded: "inactive"}


def _grantor_reference(version: ConsentVersionRead, subject_id: uuid.UUID) -> dict[str, str]:
    if version.grantor_organisation_id is not None:
        return {"reference": f"Organization/{version.grantor_organisation_id}", "display": version.grantor_name}
    kind = "Patient" if version.grantor_person_id == subject_id else "RelatedPerson"
    return {"reference": f"{kind}/{version.grantor_person_id}", "display": version.grantor_name}


def _period(version: ConsentVersionRead) -> dict[str, str]:
    period = {"start": version.valid_from.isoformat()}
    if version.valid_until is not None:
        period["end"] = version.valid_until.isoformat()
    return period


def to_fhir(
    consent: ConsentRead, *, version: int | None = None, organisation_names: Mapping[uuid.UUID, str],
    controller_id: uuid.UUID | None = None,
) -> dict[str, Any]:
    """``consent`` (its current version by default) as a FHIR R4 Consent, checked against the R4B model."""
    chosen = next((v for v in consent.versions if v.version == (version or consent.current_version)), None)
    if chosen is None:
        raise NotFound("no such version of this consent")

    def org(organisation_id: uuid.UUID) -> dict[str, str]:
        return {"reference": f"Organization/{organisation_id}",
                "display": organisation_names.get(organisation_id, str(organisation_id))}

    groups: dict[tuple[str, uuid.UUID, uuid.UUID, str | None], list[str]] = {}
    for row in chosen.scope:
        key = (row.purpose, row.recipient_organisation_id, row.holder_organisation_id, row.document_ref)
        groups.setdefault(key, []).append(row.data_category)
    provisions = []
    for (purpose, recipient, holder, document), categories in groups.items():
        provision: dict[str, Any] = {
            "type": "permit",
            "actor": [
                {"role": {"coding": [{"system": PARTICIPATION, "code": "IRCP", "display": "information recipient"}]},
                 "reference": org(recipient)},
                {"role": {"coding": [{"system": PARTICIPATION, "code": "CST", "display": "custodian"}]},
                 "reference": org(holder)},
            ],
            "purpose": [{"system": PURPOSE_SYSTEM, "code": purpose, "display": PURPOSES[purpose].label}],
            "class": [{"system": CATEGORY_SYSTEM, "code": c, "display": DATA_CATEGORIES[c].label} for c in categories],
        }
        if document:
            provision["data"] = [{"meaning": "instance", "reference": {"reference": f"DocumentReference/{document}"}}]
        provisions.append(provision)
    resource: dict[str, Any] = {
        "resourceType": "Consent",
        "id": f"{consent.id}-v{chosen.version}",
        "meta": {"versionId": str(chosen.version), "lastUpdated": chosen.recorded_at.isoformat()},
        "identifier": [{"system": "urn:ietf:rfc:3986", "value": f"urn:uuid:{consent.id}"}],
        "status": _STATUS[chosen.status],
        "scope": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/consentscope", "code": "patient-privacy"}]},
        "category": [{"coding": [{"system": "http://loinc.org", "code": "59284-0", "display": "Patient Consent"}]}],
        "patient": {"reference": f"Patient/{consent.subject_id}"},
        "dateTime": chosen.recorded_at.isoformat(),
        "performer": [_grantor_reference(chosen, consent.subject_id)],
        "policyRule": {"coding": [{"system": BASIS_SYSTEM, "code": chosen.basis.value}]},
        "provision": {"type": "permit", "period": _period(chosen), "provision": provisions},
    }
    if controller_id is not None:
        resource["organization"] = [org(controller_id)]
    return FhirConsent.model_validate(resource).model_dump(mode="json", by_alias=True, exclude_none=True)
