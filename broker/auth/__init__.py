"""Authentication and authorisation: who is calling, and whether their role is admitted."""

from broker.auth.dependencies import authenticate, require_roles
from broker.auth.principal import Principal, Role

__all__ = ["Principal", "Role", "authenticate", "require_roles"]
