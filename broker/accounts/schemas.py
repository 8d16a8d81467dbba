"""What the account management API takes and answers."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from broker.auth.principal import Role


class AccountCreate(BaseModel):
    """A new account.  With ``issuer`` and no ``external_subject`` it is bound the first time its
    owner signs in there with this username; with both it is bound now."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "username": "j.okafor", "display_name": "Joy Okafor", "role": "caseworker",
        "issuer": "https://login.northshire.example.gov.uk", "organisation_code": "NCC-SEN",
    }]})

    username: str = Field(min_length=1, max_length=100, pattern=r"^[^\s]+$")
    display_name: str = Field(min_length=1, max_length=200)
    role: Role
    issuer: str | None = Field(default=None, max_length=300)
    external_subject: str | None = Field(default=None, max_length=300)
    organisation_code: str | None = Field(default=None, max_length=64)
    person_id: uuid.UUID | None = None


class AccountBinding(BaseModel):
    """The identity provider account that signs in to this account: its ``iss``, and its ``sub``
    (or none, to bind on the next sign-in with the account's username)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "issuer": "https://id.citizen.example.gov.uk", "external_subject": "c1d2e3f4",
    }]})

    issuer: str = Field(min_length=1, max_length=300)
    external_subject: str | None = Field(default=None, max_length=300)


class AccountRoleChange(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"role": "safeguarding_lead"}]})

    role: Role


class AccountStatusChange(BaseModel):
    """Why the account is disabled or enabled again (kept in the audit log)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"reason": "Left the council on 30 November"}]})

    reason: str = Field(min_length=1, max_length=500)


class AccountRead(BaseModel):
    model_config = ConfigDict(from_attributes=True, json_schema_extra={"examples": [{
        "id": "2f0c6f7e-3b1a-4b8e-9d3f-6a1c2b3d4e5f", "username": "j.okafor", "display_name": "Joy Okafor",
        "role": "caseworker", "organisation_id": None, "person_id": None,
        "issuer": "https://login.northshire.example.gov.uk", "external_subject": None,
        "created_at": "2026-12-01T09:00:00Z", "disabled_at": None,
    }]})

    id: uuid.UUID
    username: str
    display_name: str
    role: str
    # Absent when there is none: the API description leaves nulls out of its examples.
    organisation_id: uuid.UUID | None = None
    person_id: uuid.UUID | None = None
    issuer: str | None = None
    external_subject: str | None = None
    created_at: datetime
    disabled_at: datetime | None = None
