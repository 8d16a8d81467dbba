"""Errors of the consent package, free of HTTP: ``broker`` maps them by class name to status codes."""

from __future__ import annotations


class ConsentError(Exception):
    """Root of every error the consent package reports to a caller."""


class NotFound(ConsentError):
    """A subject, person, organisation, consent or request that does not exist (or is not yours)."""


class InvalidInput(ConsentError):
    """Input that can never be accepted as it stands."""


class Conflict(ConsentError):
    """Input that clashes with the current state (already withdrawn, already answered, expired)."""


class NotPermitted(ConsentError):
    """The caller may not do this."""


class UnknownCode(InvalidInput):
    """A data category or purpose code that is not in the vocabulary."""


class TierThreeCategory(InvalidInput):
    """A tier 3 category: never shared on a family's permission."""


class GrantorWithoutStanding(InvalidInput):
    """The named grantor may not decide for this subject at this time."""


class UnknownReference(InvalidInput):
    """A recipient, holder or person named in the input that does not exist."""
