"""One source system's HTTP connection: OAuth 2.0 client credentials, timeouts, bounded answers,
retries for idempotent reads, and a circuit breaker.  Every failure becomes a ``SourceFailure``
with a short reason code; the system's own error text never travels further."""

from __future__ import annotations

import asyncio
import logging
import ssl
import time
import warnings
from dataclasses import dataclass, field
from typing import Any

import authlib.deprecate  # noqa: F401  (installs Authlib's own warning filter before ours below)
import httpx

from adapters.errors import SourceFailure
from adapters.protocol import FetchContext
from adapters.resilience import CircuitBreaker, RetryPolicy

with warnings.catch_warnings():
    # Authlib prefers the httpx2 fork; httpx is the client this project standardises on.
    warnings.simplefilter("ignore")
    from authlib.integrations.httpx_client import AsyncOAuth2Client, OAuthError

log = logging.getLogger(__name__)

RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True)
class SourceSystemConfig:
    """How to reach one source system (from settings)."""

    name: str
    kind: str
    base_url: str
    client_id: str | None = None
    client_secret: str | None = None
    token_path: str = "/oauth/token"
    timeout_seconds: float = 5.0
    connect_timeout_seconds: float = 2.0
    max_response_bytes: int = 2_000_000
    retry_attempts: int = 3
    retry_base_delay: float = 0.2
    breaker_failure_threshold: int = 5
    breaker_reset_seconds: float = 30.0
    verify_tls: bool = True
    #: the module holding the adapter (its ``ADAPTER`` class); default ``adapters.<kind>``
    module: str | None = None
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def uses_oauth(self) -> bool:
        return bool(self.client_id and self.client_secret)


@dataclass(frozen=True)
class Answer:
    status: int
    headers: httpx.Headers
    body: bytes

    @property
    def media_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()


class _Oversized(Exception):
    pass


class SourceConnection:
    """Speaks HTTP to one source system on behalf of its adapter."""

    def __init__(self, config: SourceSystemConfig, *, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.config = config
        self.breaker = CircuitBreaker(config.breaker_failure_threshold, config.breaker_reset_seconds)
        self.retry = RetryPolicy(attempts=max(1, config.retry_attempts), base_delay=config.retry_base_delay)
        self._token: dict[str, Any] | None = None
        self._transport = transport
        # Building a TLS context loads the CA bundle (tens of milliseconds): do it once, not per request.
        self._verify: ssl.SSLContext | bool = httpx.create_ssl_context() if config.verify_tls else False

    def _fail(self, reason: str, detail: str) -> SourceFailure:
        return SourceFailure(self.config.name, reason, detail)

    def _client(self, *, anonymous: bool = False) -> httpx.AsyncClient:
        timeout = httpx.Timeout(self.config.timeout_seconds, connect=self.config.connect_timeout_seconds)
        common: dict[str, Any] = {
            "base_url": self.config.base_url.rstrip("/"),
            "timeout": timeout,
            "verify": self._verify,
            "follow_redirects": False,
            "transport": self._transport,
        }
        if anonymous or not self.config.uses_oauth:
            return httpx.AsyncClient(**common)

        async def remember(token: dict[str, Any], **_: Any) -> None:
            self._token = dict(token)

        return AsyncOAuth2Client(
            client_id=self.config.client_id,
            client_secret=self.config.client_secret,
            token_endpoint=self.config.base_url.rstrip("/") + self.config.token_path,
            token_endpoint_auth_method="client_secret_basic",  # nosec B106  # the name of an OAuth client authentication method, not a secret
            grant_type="client_credentials",
            token=self._token,
            update_token=remember,
            **common,
        )

    async def _ensure_token(self, client: httpx.AsyncClient) -> None:
        if not isinstance(client, AsyncOAuth2Client) or client.token:
            return
        token = await client.fetch_token(grant_type="client_credentials")
        self._token = dict(token)

    async def request(
        self,
        method: str,
        path: str,
        *,
        context: FetchContext | None = None,
        params: dict[str, Any] | None = None,
        json: Any = None,
        idempotent: bool | None = None,
    ) -> Answer:
        """Send one request; answer a 2xx or 404 response, or raise ``SourceFailure``.

        Only idempotent reads (GET and HEAD, or a search the caller marks ``idempotent``) are
        retried; a write is attempted once.
        """
        if not self.breaker.allow():
            raise self._fail("circuit_open", "not called: the system failed repeatedly and is resting")
        idempotent = method.upper() in ("GET", "HEAD") if idempotent is None else idempotent
        attempts = self.retry.attempts if idempotent else 1
        headers = {"Accept": "application/json, application/xml;q=0.9, */*;q=0.5"}
        if context is not None:
            headers.update(context.headers())
        failure: SourceFailure | None = None
        for attempt in range(1, attempts + 1):
            if attempt > 1:
                await asyncio.sleep(self.retry.delay(attempt - 1))
            try:
                answer = await self._once(method, path, headers, params, json)
            except SourceFailure as exc:
                failure = exc
                if exc.reason in ("timeout", "unreachable", "server_error", "unauthorised"):
                    continue
                break
            self.breaker.record_success()
            return answer
        assert failure is not None
        if failure.reason != "not_permitted":
            self.breaker.record_failure()
        log.warning("source system failed", extra={"source_system": self.config.name, "reason": failure.reason})
        raise failure

    async def _once(
        self, method: str, path: str, headers: dict[str, str], params: dict[str, Any] | None, json: Any
    ) -> Answer:
        try:
            async with self._client() as client:
                await self._ensure_token(client)
                async with client.stream(method, path, headers=headers, params=params, json=json) as response:
                    if response.status_code == 401:
                        self._token = None  # expired or revoked: the next attempt fetches a new token
                        raise self._fail("unauthorised", "the system refused the broker's access token")
                    if response.status_code == 403:
                        raise self._fail("not_permitted", "the system refused the request")
                    if response.status_code in RETRYABLE_STATUSES or response.status_code >= 500:
                        raise self._fail("server_error", f"the system answered with an error ({response.status_code})")
                    if response.status_code >= 400 and response.status_code != 404:
                        raise self._fail("rejected", f"the system rejected the request ({response.status_code})")
                    declared = response.headers.get("content-length")
                    if declared and declared.isdigit() and int(declared) > self.config.max_response_bytes:
                        raise _Oversized
                    body = bytearray()
                    async for chunk in response.aiter_bytes():
                        body.extend(chunk)
                        if len(body) > self.config.max_response_bytes:
                            raise _Oversized
                    return Answer(response.status_code, response.headers, bytes(body))
        except _Oversized:
            raise self._fail(
                "oversized", f"the answer was larger than the {self.config.max_response_bytes} byte limit"
            ) from None
        except httpx.TimeoutException:
            raise self._fail(
                "timeout", f"no answer within {self.config.timeout_seconds:g} seconds"
            ) from None
        except (httpx.ConnectError, httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError):
            raise self._fail("unreachable", "the system could not be reached") from None
        except OAuthError:
            raise self._fail("authentication_failed", "the system refused the broker's client credentials") from None
        except httpx.HTTPError as exc:
            raise self._fail("unreachable", f"the connection failed ({type(exc).__name__})") from None

    async def health(self, path: str = "/health") -> tuple[bool, str, float]:
        """Probe the system without counting the result against the circuit breaker."""
        started = time.perf_counter()
        try:
            async with self._client(anonymous=True) as client:
                response = await client.get(path)
            elapsed = (time.perf_counter() - started) * 1000
            if response.status_code == 200:
                return True, "answering", elapsed
            return False, f"answered {response.status_code}", elapsed
        except httpx.TimeoutException:
            return False, "timed out", (time.perf_counter() - started) * 1000
        except httpx.HTTPError:
            return False, "unreachable", (time.perf_counter() - started) * 1000
