"""The adapters package's errors.  ``broker`` maps the subclasses named NotFound, InvalidInput,
Conflict and NotPermitted to HTTP statuses; this package knows nothing of HTTP status codes."""

from __future__ import annotations


class AdapterError(Exception):
    """Root of every error this package raises to its caller."""


class NotFound(AdapterError):
    pass


class InvalidInput(AdapterError):
    pass


class Conflict(AdapterError):
    pass


class NotPermitted(AdapterError):
    pass


class SourceFailure(AdapterError):
    """A source system could not answer usefully.  ``reason`` is a short code, ``detail`` says
    what happened in words safe to show staff (never the system's own message or personal data)."""

    def __init__(self, source_system: str, reason: str, detail: str) -> None:
        super().__init__(f"{source_system}: {detail}")
        self.source_system = source_system
        self.reason = reason
        self.detail = detail


class UnknownSourceSystem(NotFound):
    pass
