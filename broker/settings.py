"""Settings, read from the environment with the ``BROKER_`` prefix and validated at start."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Self

from pydantic import BaseModel, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

if TYPE_CHECKING:
    from broker.auth.tokens import IssuerConfig

DEVELOPMENT_SECRET = "development-only-secret-do-not-use-in-production"


class Environment(StrEnum):
    development = "development"
    test = "test"
    production = "production"


class TrustedIssuerSettings(BaseModel):
    """An OpenID Connect issuer whose access tokens the API accepts (see the README)."""

    name: str
    issuer: str
    audience: str
    jwks_uri: str | None = None
    algorithms: list[str] = ["RS256"]
    subject_claim: str = "sub"
    username_claim: str | None = "preferred_username"
    leeway_seconds: int = Field(default=30, ge=0, le=300)


class Settings(BaseSettings):
    """Everything the broker reads from its environment.

    Development and test run on the embedded default (SQLite, simulators, the development
    identity provider).  Production refuses to start with any development default left in place.
    """

    model_config = SettingsConfigDict(env_prefix="BROKER_", env_file=None, extra="ignore")

    environment: Environment = Environment.development
    database_url: str = "sqlite:///var/broker.db"
    data_dir: Path = Path("var")
    secret_key: SecretStr = SecretStr(DEVELOPMENT_SECRET)
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    public_url: str = "http://127.0.0.1:8000"
    log_level: str = "INFO"
    database_pool_size: int = Field(default=10, ge=1, le=200)
    # The first line of every audit checkpoint, naming this log (C2SP tlog-checkpoint "origin");
    # empty means "<host of public_url>/audit".  Change it only with a new log.
    audit_origin: str = ""
    # Sign a checkpoint at most this often, when entries were appended since the last (0: only on demand).
    audit_checkpoint_interval_seconds: float = Field(default=5.0, ge=0, le=3600)
    api_audience: str = "send-broker"
    oidc_issuers: list[TrustedIssuerSettings] = []
    # None means: on in development and test, off in production (where turning it on is refused).
    dev_identity_provider: bool | None = None
    # Break-glass: how long a safeguarding lead's access lasts, and how soon IG must review it.
    break_glass_hours: int = Field(default=24, ge=1, le=72)
    break_glass_review_days: int = Field(default=5, ge=1, le=30)

    def trusted_issuers(self) -> list[IssuerConfig]:
        from broker.auth.tokens import IssuerConfig

        return [
            IssuerConfig(**{**issuer.model_dump(), "algorithms": tuple(issuer.algorithms)})
            for issuer in self.oidc_issuers
        ]

    @property
    def is_production(self) -> bool:
        return self.environment is Environment.production

    @property
    def audit_log_origin(self) -> str:
        if self.audit_origin:
            return self.audit_origin
        host = self.public_url.split("://", 1)[-1].split("/", 1)[0]
        return f"{host}/audit"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @model_validator(mode="after")
    def _refuse_development_defaults_in_production(self) -> Self:
        if self.dev_identity_provider is None:
            self.dev_identity_provider = not self.is_production
        if not self.is_production:
            return self
        problems = []
        if self.dev_identity_provider:
            problems.append("BROKER_DEV_IDENTITY_PROVIDER cannot be enabled in production")
        secret = self.secret_key.get_secret_value()
        if secret == DEVELOPMENT_SECRET or len(secret) < 32:
            problems.append("BROKER_SECRET_KEY must be set to a random value of at least 32 characters")
        if self.is_sqlite:
            problems.append("BROKER_DATABASE_URL must point at PostgreSQL in production")
        if not self.public_url.startswith("https://"):
            problems.append("BROKER_PUBLIC_URL must be an https:// address in production")
        if any(c.isspace() or c == "+" for c in self.audit_log_origin):
            problems.append("BROKER_AUDIT_ORIGIN must have no spaces or '+'")
        if problems:
            raise ValueError("refusing to start in production: " + "; ".join(problems))
        return self
