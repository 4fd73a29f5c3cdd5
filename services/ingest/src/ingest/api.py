"""HTTP entrypoint: POST /webhooks/ghl. Reads the raw body and maps domain errors to status codes."""

from __future__ import annotations

import time
from typing import Any, Literal
from uuid import UUID

import orjson
from fastapi import APIRouter, Request, Response
from pydantic import BaseModel

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


def _json(status_code: int, content: dict[str, str], headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(content), status_code, headers, media_type="application/json")


def _is_json(content_type: str | None) -> bool:
    media = (content_type or "").split(";", 1)[0].strip().lower()
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


async def read_body(request: Request, limit: int) -> bytes:
    """The raw bytes, refusing as soon as more than ``limit`` arrived (or are announced)."""
    if not _is_json(request.headers.get("content-type")):
        raise UnsupportedContentType("content type must be application/json")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge(f"body exceeds {limit} bytes")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise BodyTooLarge(f"body exceeds {limit} bytes")
    return bytes(body)


def webhook_router(
    deps: IngestDeps, in_flight: InFlight, max_body_bytes: int, retry_after_s: int
) -> APIRouter:
    router = APIRouter(tags=["webhooks"])

    async def receive_ghl_webhook(request: Request) -> Response:
        """Verify, validate and publish one GHL webhook to ghl.events.v1; 200 only after the broker's ack."""
        started = time.perf_counter()
        with in_flight.track():
            response, outcome = await _handle(request)
        REQUEST_SECONDS.labels(outcome=outcome).observe(time.perf_counter() - started)
        return response

    async def _handle(request: Request) -> tuple[Response, str]:
        try:
            raw = await read_body(request, max_body_bytes)
            result = await ingest_webhook(
                raw, request.headers.get(ED25519_HEADER), request.headers.get(RSA_HEADER), deps
            )
        except Exception as exc:
            for kind, status_code, outcome in _REJECTIONS:
                if isinstance(exc, kind):
                    return _reject(exc, status_code, outcome), outcome
            # GHL treats a 5xx as final and would drop the lead; 429 makes it retry later.
            log.exception("webhook_unexpected_error")
            error = RetryLater(f"internal error: {type(exc).__name__}")
            return _reject(error, 429, "retry_error"), "retry_error"
        outcome = result.status.value
        WEBHOOKS.labels(event_type=result.webhook.event_type, outcome=outcome).inc()
        body = {"status": outcome, "event_id": str(result.webhook.event_id)}
        return _json(200, body), outcome

    def _reject(exc: Exception, status_code: int, outcome: str) -> Response:
        WEBHOOKS.labels(event_type="-", outcome=outcome).inc()
        if isinstance(exc, SignatureRejected):
            VERIFICATION_FAILURES.labels(reason=exc.reason).inc()
        if status_code == 429:
            log.warning("webhook_retry_later", reason=str(exc))
            return _json(429, {"status": "retry", "detail": str(exc)}, {"Retry-After": str(retry_after_s)})
        log.info("webhook_rejected", status=status_code, reason=str(exc)[:300])
        return _json(status_code, {"status": "rejected", "detail": str(exc)})

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
