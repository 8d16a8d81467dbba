"""Reading an OpenID Connect provider's discovery document (OpenID Connect Discovery 1.0).

The broker learns a provider's JWKS address and its sign-out (``end_session_endpoint``) address
from the document the provider publishes at ``{issuer}/.well-known/openid-configuration``, never
by guessing paths: providers put their keys at different places.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import httpx

WELL_KNOWN = "/.well-known/openid-configuration"
CACHE_SECONDS = 3600.0


class DiscoveryFailed(Exception):
    """The discovery document could not be fetched, or does not describe the expected issuer."""


def discovery_url_of(issuer: str) -> str:
    return issuer.rstrip("/") + WELL_KNOWN


class DiscoveryDocuments:
    """Discovery documents by address, fetched on first use and kept for an hour."""

    def __init__(self, timeout: float = 5.0) -> None:
        self._timeout = timeout
        self._documents: dict[str, tuple[float, dict[str, Any]]] = {}
        self._lock = threading.Lock()

    def get(self, url: str, *, issuer: str | None = None, require_https: bool = False) -> dict[str, Any]:
        """The document at ``url``; ``issuer``, when given, must be the one it names."""
        with self._lock:
            cached = self._documents.get(url)
        if cached is not None and time.monotonic() - cached[0] < CACHE_SECONDS:
            return cached[1]
        if require_https and not url.startswith("https://"):
            raise DiscoveryFailed(f"the discovery document must be fetched over https: {url}")
        try:
            response = httpx.get(url, timeout=self._timeout)
            response.raise_for_status()
            document = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise DiscoveryFailed(f"cannot fetch the discovery document at {url}") from exc
        if not isinstance(document, dict):
            raise DiscoveryFailed(f"the discovery document at {url} is not a JSON object")
        # OpenID Connect Discovery 1.0 section 4.3: the issuer in the document must be the one asked about.
        if issuer is not None and document.get("issuer") != issuer:
            raise DiscoveryFailed(f"the discovery document at {url} names another issuer")
        with self._lock:
            self._documents[url] = (time.monotonic(), document)
        return document

