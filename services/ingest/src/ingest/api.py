"""HTTP entrypoint: POST /webhooks/ghl. Reads the raw body and maps domain errors to status codes."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, MutableMapping
from typing import Any, Literal
from uuid import UUID

import orjson
from fastapi import APIRouter, Request, Response
from pydantic import BaseModel
from starlette.requests import ClientDisconnect

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
from ingest.metrics import REQUEST_SECONDS, VERIFICATION_FAILURES, WEBHOOKS
from leadflow_common.logging import get_logger

log = get_logger(__name__)
WEBHOOK_PATHS = ("/webhooks/ghl", "/api/v1/webhooks/ghl")


class WebhookAccepted(BaseModel):
    status: Literal["accepted", "duplicate"]
    event_id: UUID


class WebhookError(BaseModel):
    status: Literal["rejected", "retry"]
    detail: str


_REJECTIONS: tuple[tuple[type[Exception], int, str], ...] = (
    (UnsupportedContentType, 415, "rejected_content_type"),
    (BodyTooLarge, 413, "rejected_too_large"),
    (SignatureRejected, 401, "rejected_signature"),
    (StaleTimestamp, 401, "rejected_stale"),
    (MalformedWebhook, 400, "rejected_malformed"),
    (ConcurrentDelivery, 429, "retry_in_flight"),
    (RetryLater, 429, "retry_broker"),
)

BODY_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["type"],
    "additionalProperties": True,
    "properties": {
        "type": {"type": "string", "description": "GHL event name, e.g. ContactCreate"},
        "locationId": {"type": "string"},
        "webhookId": {"type": "string", "description": "replay protection: published once"},
        "timestamp": {"type": "string", "format": "date-time", "description": "within ±5 min of now"},
    },
}
OPENAPI_EXTRA: dict[str, Any] = {
    "requestBody": {"required": True, "content": {"application/json": {"schema": BODY_SCHEMA}}},
    "parameters": [
        {
            "name": ED25519_HEADER,
            "in": "header",
            "required": False,
            "schema": {"type": "string"},
            "description": "base64 Ed25519 signature of the raw body",
        },
        {
            "name": RSA_HEADER,
            "in": "header",
            "required": False,
            "schema": {"type": "string"},
            "description": "legacy: base64 RSA-SHA256 PKCS#1 v1.5 signature of the raw body",
        },
    ],
}
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    code: {"model": WebhookError, "description": text}
    for code, text in {
        400: "malformed JSON or a known event type with malformed fields",
        401: "missing or invalid signature, stale or future timestamp",
        413: "body larger than the configured cap",
        415: "content type is not JSON",
        429: "Kafka cannot take the event now; retry after Retry-After seconds",
    }.items()
}


Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class Reply:
    """A JSON answer: status, encoded body, extra headers."""

    __slots__ = ("body", "headers", "status_code")

    def __init__(self, status_code: int, content: dict[str, str], headers: dict[str, str] | None = None):
        self.status_code = status_code
        self.body = orjson.dumps(content)
        self.headers = headers or {}

    def response(self) -> Response:
        return Response(self.body, self.status_code, self.headers, media_type="application/json")

    def asgi_headers(self) -> list[tuple[bytes, bytes]]:
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(self.body)).encode())]
        headers.extend((name.lower().encode(), value.encode()) for name, value in self.headers.items())
        return headers


def _is_json(content_type: str | None) -> bool:
    media = (content_type or "").split(";", 1)[0].strip().lower()
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


async def read_limited(
    content_type: str | None, content_length: str | None, chunks: AsyncIterator[bytes], limit: int
) -> bytes:
    """The raw bytes, refusing as soon as more than ``limit`` arrived (or are announced)."""
    if not _is_json(content_type):
        raise UnsupportedContentType("content type must be application/json")
    declared = content_length or ""
    if declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge(f"body exceeds {limit} bytes")
    body = bytearray()
    async for chunk in chunks:
        body += chunk
        if len(body) > limit:
            raise BodyTooLarge(f"body exceeds {limit} bytes")
    return bytes(body)


async def read_body(request: Request, limit: int) -> bytes:
    """The raw bytes, refusing as soon as more than ``limit`` arrived (or are announced)."""
    headers = request.headers
    return await read_limited(
        headers.get("content-type"), headers.get("content-length"), request.stream(), limit
    )


class WebhookEndpoint:
    """The webhook request, independent of how it arrived (FastAPI route or the ASGI fast path)."""

    def __init__(self, deps: IngestDeps, in_flight: InFlight, max_body_bytes: int, retry_after_s: int):
        self._deps = deps
        self._in_flight = in_flight
        self._max_body_bytes = max_body_bytes
        self._retry_after_s = retry_after_s

    async def answer(self, header: Callable[[str], str | None], chunks: AsyncIterator[bytes]) -> Reply:
        """``header(name)``: a request header (lower-case name) or None; ``chunks``: the body."""
        started = time.perf_counter()
        with self._in_flight.track():
            reply, outcome = await self._handle(header, chunks)
        REQUEST_SECONDS.labels(outcome=outcome).observe(time.perf_counter() - started)
        return reply

    async def _handle(
        self, header: Callable[[str], str | None], chunks: AsyncIterator[bytes]
    ) -> tuple[Reply, str]:
        try:
            raw = await read_limited(
                header("content-type"), header("content-length"), chunks, self._max_body_bytes
            )
            result = await ingest_webhook(raw, header(ED25519_HEADER), header(RSA_HEADER), self._deps)
        except Exception as exc:
            for kind, status_code, outcome in _REJECTIONS:
                if isinstance(exc, kind):
                    return self._reject(exc, status_code, outcome), outcome
            # GHL treats a 5xx as final and would drop the lead; 429 makes it retry later.
            log.exception("webhook_unexpected_error")
            error = RetryLater(f"internal error: {type(exc).__name__}")
            return self._reject(error, 429, "retry_error"), "retry_error"
        outcome = result.status.value
        WEBHOOKS.labels(event_type=result.webhook.event_type, outcome=outcome).inc()
        return Reply(200, {"status": outcome, "event_id": str(result.webhook.event_id)}), outcome

    def _reject(self, exc: Exception, status_code: int, outcome: str) -> Reply:
        WEBHOOKS.labels(event_type="-", outcome=outcome).inc()
        if isinstance(exc, SignatureRejected):
            VERIFICATION_FAILURES.labels(reason=exc.reason).inc()
        if status_code == 429:
            log.warning("webhook_retry_later", reason=str(exc))
            return Reply(
                429, {"status": "retry", "detail": str(exc)}, {"Retry-After": str(self._retry_after_s)}
            )
        log.info("webhook_rejected", status=status_code, reason=str(exc)[:300])
        return Reply(status_code, {"status": "rejected", "detail": str(exc)})


def webhook_router(
    deps: IngestDeps, in_flight: InFlight, max_body_bytes: int, retry_after_s: int
) -> APIRouter:
    """The documented routes (OpenAPI); ``WebhookFastPath`` answers the same paths in the served app."""
    router = APIRouter(tags=["webhooks"])
    endpoint = WebhookEndpoint(deps, in_flight, max_body_bytes, retry_after_s)

    async def receive_ghl_webhook(request: Request) -> Response:
        """Verify, validate and publish one GHL webhook to ghl.events.v1; 200 only after the broker's ack."""
        return (await endpoint.answer(request.headers.get, request.stream())).response()

    for path in WEBHOOK_PATHS:
        router.add_api_route(
            path,
            receive_ghl_webhook,
            methods=["POST"],
            response_model=WebhookAccepted,
            responses=ERROR_RESPONSES,
            openapi_extra=OPENAPI_EXTRA,
            summary="Receive a GHL webhook",
        )
    return router


def _first_headers(raw: Iterable[tuple[bytes, bytes]], wanted: frozenset[bytes]) -> dict[str, str]:
    found: dict[str, str] = {}
    for raw_name, value in raw:
        name = raw_name.lower()
        if name in wanted:
            found.setdefault(name.decode(), value.decode("latin-1"))
    return found


_WANTED = frozenset(name.encode() for name in ("content-type", "content-length", ED25519_HEADER, RSA_HEADER))


class WebhookFastPath:
    """ASGI middleware answering ``POST`` on the webhook paths without FastAPI's routing.

    Routing, dependency solving and the Request/Response objects cost about as much CPU as the
    whole webhook use case; this answers exactly what the FastAPI route answers (same
    ``WebhookEndpoint``), and passes every other request on. Installed inside FastAPI's
    telemetry and error middlewares, so the server span and trace context are unchanged.
    """

    def __init__(self, app: ASGIApp, endpoint: WebhookEndpoint, paths: Iterable[str] = WEBHOOK_PATHS):
        self.app = app
        self._endpoint = endpoint
        self._paths = frozenset(paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or _route_path(scope) not in self._paths:
            await self.app(scope, receive, send)
            return
        headers = _first_headers(scope["headers"], _WANTED)
        reply = await self._endpoint.answer(headers.get, _body_chunks(receive))
        await send(
            {"type": "http.response.start", "status": reply.status_code, "headers": reply.asgi_headers()}
        )
        await send({"type": "http.response.body", "body": reply.body})


def _route_path(scope: Scope) -> str:
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    return path[len(root) :] if root and path.startswith(root) else path


async def _body_chunks(receive: Receive) -> AsyncIterator[bytes]:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnect
        body = message.get("body", b"")
        if body:
            yield body
        if not message.get("more_body", False):
            return
