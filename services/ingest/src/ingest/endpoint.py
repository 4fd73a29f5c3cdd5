"""One webhook request, however it arrived: headers and body in, status and JSON out.

Maps the domain's typed errors to status codes in one place; used by the ASGI fast path
(fastpath.py) and the documented FastAPI route (api.py).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

import orjson

from ingest.domain.errors import (
    BodyTooLarge,
    ConcurrentDelivery,
    MalformedWebhook,
    RetryLater,
    SignatureRejected,
    StaleTimestamp,
    UnsupportedContentType,
)
from ingest.domain.signature import ED25519_HEADER, RSA_HEADER
from ingest.handlers import IngestDeps, ingest_webhook
from ingest.inflight import InFlight
from ingest.metrics import BoundMetrics
from leadflow_common.logging import get_logger

log = get_logger(__name__)

Header = Callable[[str], str | None]  # a request header by lower-case name, or None
BodyReader = Callable[[int], Awaitable[bytes]]  # the raw body, BodyTooLarge past the limit

_REJECTIONS: tuple[tuple[type[Exception], int, str], ...] = (
    (UnsupportedContentType, 415, "rejected_content_type"),
    (BodyTooLarge, 413, "rejected_too_large"),
    (SignatureRejected, 401, "rejected_signature"),
    (StaleTimestamp, 401, "rejected_stale"),
    (MalformedWebhook, 400, "rejected_malformed"),
    (ConcurrentDelivery, 429, "retry_in_flight"),
    (RetryLater, 429, "retry_broker"),
)
_JSON = (b"content-type", b"application/json")


class Reply:
    """A JSON answer: status, encoded body, extra headers."""

    __slots__ = ("body", "headers", "status_code")

    def __init__(self, status_code: int, content: dict[str, str], headers: dict[str, str] | None = None):
        self.status_code = status_code
        self.body = orjson.dumps(content)
        self.headers = headers or {}

    def asgi_headers(self) -> list[tuple[bytes, bytes]]:
        headers = [_JSON, (b"content-length", str(len(self.body)).encode())]
        headers.extend((name.lower().encode(), value.encode()) for name, value in self.headers.items())
        return headers


def _is_json(content_type: str | None) -> bool:
    media = (content_type or "").split(";", 1)[0].strip().lower()
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


def check_announced(content_type: str | None, content_length: str | None, limit: int) -> None:
    """Refuse before reading: not JSON (415), or a declared length over the cap (413)."""
    if not _is_json(content_type):
        raise UnsupportedContentType("content type must be application/json")
    declared = content_length or ""
    if declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge(f"body exceeds {limit} bytes")


class WebhookEndpoint:
    def __init__(
        self,
        deps: IngestDeps,
        in_flight: InFlight,
        max_body_bytes: int,
        retry_after_s: int,
        metrics: BoundMetrics | None = None,
    ):
        self._deps = deps
        self._in_flight = in_flight
        self._max_body_bytes = max_body_bytes
        self._retry_after = {"Retry-After": str(retry_after_s)}
        self._metrics = metrics or BoundMetrics()

    async def answer(self, header: Header, read_body: BodyReader, trace: str | None) -> Reply:
        """``trace``: traceparent of the request's server span, carried into the event."""
        started = time.perf_counter()
        self._in_flight.enter()
        try:
            reply, outcome = await self._handle(header, read_body, trace)
        finally:
            self._in_flight.leave()
        self._metrics.request_seconds(outcome).observe(time.perf_counter() - started)
        return reply

    async def _handle(self, header: Header, read_body: BodyReader, trace: str | None) -> tuple[Reply, str]:
        try:
            check_announced(header("content-type"), header("content-length"), self._max_body_bytes)
            raw = await read_body(self._max_body_bytes)
            result = await ingest_webhook(raw, header(ED25519_HEADER), header(RSA_HEADER), self._deps, trace)
        except Exception as exc:
            for kind, status_code, outcome in _REJECTIONS:
                if isinstance(exc, kind):
                    return self._reject(exc, status_code, outcome), outcome
            # GHL treats a 5xx as final and would drop the lead; 429 makes it retry later.
            log.exception("webhook_unexpected_error")
            error = RetryLater(f"internal error: {type(exc).__name__}")
            return self._reject(error, 429, "retry_error"), "retry_error"
        outcome = result.status.value
        self._metrics.webhook(result.webhook.event_type, outcome).inc()
        return Reply(200, {"status": outcome, "event_id": str(result.webhook.event_id)}), outcome

    def _reject(self, exc: Exception, status_code: int, outcome: str) -> Reply:
        self._metrics.webhook("-", outcome).inc()
        if isinstance(exc, SignatureRejected):
            self._metrics.verification_failure(exc.reason).inc()
        if status_code == 429:
            log.warning("webhook_retry_later", reason=str(exc))
            return Reply(429, {"status": "retry", "detail": str(exc)}, self._retry_after)
        log.info("webhook_rejected", status=status_code, reason=str(exc)[:300])
        return Reply(status_code, {"status": "rejected", "detail": str(exc)})
