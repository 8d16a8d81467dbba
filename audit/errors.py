"""The audit package's errors; ``broker`` maps them to HTTP statuses by class name."""

from __future__ import annotations


class AuditError(Exception):
    """Root of every error the audit package raises on purpose."""


class NotFound(AuditError):
    """No such entry, checkpoint or tree size."""


class InvalidInput(AuditError):
    """A request the log cannot answer as asked (for example a proof between impossible sizes)."""


class Conflict(AuditError):
    """The stored log disagrees with itself (for example a gap in the entries)."""
