"""One GHL exchange, rate limited, with typed errors and retries (tenacity).

Idempotent calls retry 429, 5xx, timeouts and transport errors with exponential backoff + jitter.
Non-idempotent creates retry only what cannot have reached GHL (429, connect errors) and otherwise
raise GhlUnknownOutcome.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt
from tenacity.wait import wait_exponential_jitter

from leadflow_common.ghl.errors import (
    GhlAuthError,
    GhlError,
    GhlNotFound,
    GhlQuotaExhausted,
    GhlRateLimited,
    GhlServerError,
    GhlUnknownOutcome,
    GhlValidationError,
)
from leadflow_common.ghl.gates import ResourceGates
from leadflow_common.ghl.metrics import CALLS, LATENCY, RATE_LIMITED, RETRIES
from leadflow_common.ghl.ratelimit import RedisRateLimiter
from leadflow_common.ghl.settings import GhlSettings
from leadflow_common.logging import get_logger

NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
log = get_logger(__name__)


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    endpoint: str  # metric label, e.g. "locations.create"
    resource: str  # what GHL rate-limits this call on: a location id or the company id
    token: str
    idempotent: bool = True
    params: dict[str, Any] | None = None
    json: Any = None
    form: dict[str, str] | None = None
    headers: dict[str, str] = field(default_factory=dict)


class Transport:
    def __init__(self, settings: GhlSettings, limiter: RedisRateLimiter, http: httpx.AsyncClient) -> None:
        self._settings = settings
        self._limiter = limiter
        self._http = http
        self._gates = ResourceGates(settings.resource_concurrency)

    async def send(self, call: Call) -> Any:
        s = self._settings
        retrying = AsyncRetrying(
            stop=stop_after_attempt(s.max_retries + 1),
            wait=wait_exponential_jitter(multiplier=s.backoff_initial_s, max=s.backoff_max_s),
            retry=retry_if_exception(_retryable),
            before_sleep=lambda state: _count_retry(call, state),
            reraise=True,
        )
        async for attempt in retrying:
            with attempt:
                return await self._once(call)
        raise AssertionError("unreachable: tenacity reraises")  # pragma: no cover

    async def _once(self, call: Call) -> Any:
        async with self._gates.hold(call.resource):
            return await self._exchange(call)

    async def _exchange(self, call: Call) -> Any:
        slot = await self._limiter.acquire(call.resource, call.endpoint)
        started = time.perf_counter()
        status = 0
        try:
            response = await self._http.request(
                call.method,
                call.path,
                params=call.params,
                json=call.json,
                data=call.form,
                headers={"Authorization": f"Bearer {call.token}", **call.headers},
            )
            status = response.status_code
            body = response.content
        except NOT_SENT as exc:
            raise GhlServerError(f"{call.endpoint}: not sent: {exc!r}", None, call.endpoint) from exc
        except httpx.TransportError as exc:
            if call.idempotent:
                raise GhlServerError(f"{call.endpoint}: {exc!r}", None, call.endpoint) from exc
            raise GhlUnknownOutcome(f"{call.endpoint}: no answer: {exc!r}", None, call.endpoint) from exc
        finally:
            LATENCY.labels(call.endpoint).observe(time.perf_counter() - started)
            CALLS.labels(call.endpoint, str(status)).inc()
        await self._limiter.observe(call.resource, response.headers, slot)
        if status < 300:
            return orjson.loads(body) if body else {}
        raise await self._error(call, status, body)

    async def _error(self, call: Call, status: int, body: bytes) -> GhlError:
        message = _message(body)
        text = f"{call.endpoint}: {status} {message}"
        if status == 429:
            RATE_LIMITED.labels(call.endpoint).inc()
            await self._limiter.pause(call.resource)
            return GhlRateLimited(text, status, call.endpoint)
        if status >= 500:
            kind = GhlServerError if call.idempotent else GhlUnknownOutcome
            return kind(text, status, call.endpoint)
        if status in (401, 403):
            return GhlAuthError(text, status, call.endpoint)
        if status == 404 or (status == 400 and "not found" in message.lower()):
            return GhlNotFound(text, status, call.endpoint)
        return GhlValidationError(text, status, call.endpoint)


def _message(body: bytes) -> str:
    try:
        parsed = orjson.loads(body)
    except orjson.JSONDecodeError:
        return body[:300].decode(errors="replace")
    message = parsed.get("message", parsed) if isinstance(parsed, dict) else parsed
    return "; ".join(map(str, message)) if isinstance(message, list) else str(message)


def _retryable(exc: BaseException) -> bool:
    return isinstance(exc, GhlRateLimited | GhlServerError) and not isinstance(exc, GhlQuotaExhausted)


def _count_retry(call: Call, state: RetryCallState) -> None:
    exc = state.outcome.exception() if state.outcome else None
    RETRIES.labels(call.endpoint, type(exc).__name__).inc()
    log.warning(
        "ghl_call_retry",
        endpoint=call.endpoint,
        resource=call.resource,
        attempt=state.attempt_number,
        error=f"{type(exc).__name__}: {exc}"[:300],
    )
