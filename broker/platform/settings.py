"""Settings, read from the environment with the ``BROKER_`` prefix and validated at start."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Self

from pydantic import BaseModel, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from broker.records.retention import RetentionRule, check_rules, default_retention_rules

if TYPE_CHECKING:
    from broker.auth.tokens import IssuerConfig

DEVELOPMENT_SECRET = "development-only-secret-do-not-use-in-production"  # nosec B105  # the development default, refused in production


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
    # RFC 9068: access tokens say ``typ: at+jwt``; turn off only for a provider that cannot.
    require_at_jwt: bool = True


EMBEDDED_SIMULATOR_SECRET = "simulator-development-secret"  # nosec B105  # the embedded simulators' credential, refused in production


class SourceSystemSettings(BaseModel):
    """How to reach one source system.  With no ``base_url`` the adapter talks to the embedded
    simulator of its kind at ``<public_url>/simulators/<kind>`` (development and test only)."""

    kind: str
    base_url: str | None = None
    client_id: str | None = "broker"
    client_secret: SecretStr | None = SecretStr(EMBEDDED_SIMULATOR_SECRET)
    token_path: str = "/oauth/token"
    timeout_seconds: float = Field(default=5.0, gt=0, le=120)
    connect_timeout_seconds: float = Field(default=2.0, gt=0, le=60)
    max_response_bytes: int = Field(default=5_000_000, ge=1_000, le=200_000_000)
    retry_attempts: int = Field(default=3, ge=1, le=10)
    breaker_failure_threshold: int = Field(default=5, ge=1, le=100)
    breaker_reset_seconds: float = Field(default=30.0, gt=0, le=3600)
    verify_tls: bool = True
    module: str | None = None
    enabled: bool = True
    # The organisation (its code) whose records this system holds: permissions name it as holder.
    # A source that names the holder of each child's record (the education system names the
    # pupil's school by URN) overrides it; this stays for records whose source named nobody.
    holder: str | None = None


def _default_source_systems() -> dict[str, SourceSystemSettings]:
    return {
        # The education system names each pupil's school, the holder of their records.
        "education": SourceSystemSettings(kind="education"),
        "social_care": SourceSystemSettings(kind="social_care", holder="NCC-CSC"),
        "educational_psychology": SourceSystemSettings(kind="educational_psychology", holder="NCC-EPS"),
        "ep_paper": SourceSystemSettings(kind="ep_paper", client_id=None, client_secret=None, holder="NCC-EPS"),
    }
class SignInAudience(StrEnum):
    """Who signs in through a web sign-in provider: council staff, or families."""

    staff = "staff"
    families = "families"


class WebSignInSettings(BaseModel):
    """An OpenID Connect provider people sign in to the web pages with (see the README).

    The staff directory signs in staff accounts only and the citizen identity service family
    accounts only: an account found through the wrong provider is refused.
    """

    audience: SignInAudience
    client_id: str
    client_secret: SecretStr
    discovery_url: str
    scope: str = "openid profile"
    username_claim: str | None = "preferred_username"
    label: str = ""


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
    # Key-encryption keys for stored records: JSON {"id": "base64 of 32 bytes", ...} or
    # "file:/path/to/keks.json".  Unset in development and test: a key file is generated in data_dir.
    keks: SecretStr | None = None
    # Which of the KEKs wraps new data keys (and is the target of `broker keys rotate`).
    current_kek: str | None = None
    data_key_cache_size: int = Field(default=1024, ge=0, le=1_000_000)
    # Retention of stored records: rules per purpose and data category (see broker.records.retention).
    retention_rules: list[RetentionRule] = Field(default_factory=default_retention_rules)
    # Days after a permission is withdrawn before items held only under it are shredded.
    withdrawal_grace_days: int = Field(default=0, ge=0, le=3650)
    # The first line of every audit checkpoint, naming this log (C2SP tlog-checkpoint "origin");
    # empty means "<host of public_url>/audit".  Change it only with a new log.
    audit_origin: str = ""
    # Sign a checkpoint at most this often, when entries were appended since the last (0: only on demand).
    audit_checkpoint_interval_seconds: float = Field(default=5.0, ge=0, le=3600)
    council_name: str = "Northshire County Council"
    # Origins a form may post to or be redirected to after posting, besides the broker itself
    # (the council's identity providers' sign-out pages): the CSP form-action directive.
    form_action_origins: list[str] = Field(default_factory=list)
    api_audience: str = "send-broker"
    # The longest lifetime (exp - iat) of an access token the API accepts, from any issuer.
    max_token_lifetime_seconds: int = Field(default=24 * 3600, ge=60, le=7 * 24 * 3600)
    oidc_issuers: list[TrustedIssuerSettings] = []
    # None means: on in development and test, off in production (where turning it on is refused).
    dev_identity_provider: bool | None = None
    # Break-glass: how long a safeguarding lead's access lasts, and how soon IG must review it.
    break_glass_hours: int = Field(default=24, ge=1, le=72)
    break_glass_review_days: int = Field(default=5, ge=1, le=30)
    # Source systems by name (JSON in BROKER_SOURCE_SYSTEMS); see the README on pointing each at a
    # real system.  Unset: the simulators in development and test, only the EP paper store in production.
    source_systems: dict[str, SourceSystemSettings] | None = None
    # How old a gathered item may be and still be served again instead of fetched afresh.
    bundle_fresh_hours: float = Field(default=24 * 28, gt=0, le=24 * 366)
    # The longest one gather waits for any single source system before reporting it as timed out.
    gather_source_timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    # None means: the simulators are mounted under /simulators in development and test, never in production.
    embedded_simulators: bool | None = None
    # Web sign-in: the council's staff directory and the citizen identity service for families.
    web_sign_in: list[WebSignInSettings] = []
    session_max_age_seconds: int = Field(default=8 * 3600, ge=300, le=7 * 24 * 3600)
    # Requests per minute from one client address to the sign-in and token endpoints.
    sign_in_rate_limit_per_minute: int = Field(default=120, ge=1, le=10_000)
    # The largest request body accepted (the upload of a scanned EP report has its own, larger
    # limit), and how deeply a JSON body may nest.
    max_request_bytes: int = Field(default=1024 * 1024, ge=1024, le=100 * 1024 * 1024)
    max_json_depth: int = Field(default=32, ge=4, le=1000)

    def trusted_issuers(self) -> list[IssuerConfig]:
        from broker.auth.tokens import IssuerConfig

        return [
            IssuerConfig(**{**issuer.model_dump(), "algorithms": tuple(issuer.algorithms),
                            "max_lifetime_seconds": self.max_token_lifetime_seconds})
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
    def is_development(self) -> bool:
        return self.environment is Environment.development

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @model_validator(mode="after")
    def _retention_rules_are_consistent(self) -> Self:
        check_rules(self.retention_rules)
        return self

    @model_validator(mode="after")
    def _refuse_development_defaults_in_production(self) -> Self:
        if self.dev_identity_provider is None:
            self.dev_identity_provider = not self.is_production
        if self.embedded_simulators is None:
            self.embedded_simulators = not self.is_production
        if self.source_systems is None:
            defaults = _default_source_systems()
            self.source_systems = {"ep_paper": defaults["ep_paper"]} if self.is_production else defaults
        if not self.is_production:
            return self
        problems = []
        if self.embedded_simulators:
            problems.append("BROKER_EMBEDDED_SIMULATORS cannot be enabled in production")
        for name, system in (self.source_systems or {}).items():
            if not system.enabled or system.kind == "ep_paper":
                continue
            if not system.base_url or not system.base_url.startswith("https://"):
                problems.append(f"source system {name!r} needs an https:// base_url in production")
            secret = system.client_secret.get_secret_value() if system.client_secret else None
            if secret == EMBEDDED_SIMULATOR_SECRET:
                problems.append(f"source system {name!r} still uses the simulators' client secret")
            if not system.verify_tls:
                problems.append(f"source system {name!r} must verify TLS in production")
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
        for issuer in self.oidc_issuers:
            if not issuer.issuer.startswith("https://"):
                problems.append(f"the token issuer {issuer.name!r} must be an https:// address in production")
            if issuer.jwks_uri is not None and not issuer.jwks_uri.startswith("https://"):
                problems.append(f"the JWKS address of the token issuer {issuer.name!r} must be https:// in production")
        for provider in self.web_sign_in:
            if not provider.discovery_url.startswith("https://"):
                problems.append(f"the {provider.audience} sign-in discovery URL must be https:// in production")
        if problems:
            raise ValueError("refusing to start in production: " + "; ".join(problems))
        return self
