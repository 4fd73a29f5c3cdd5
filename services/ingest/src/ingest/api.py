"""The documented webhook route (OpenAPI) on FastAPI; the served app answers it in fastpath.py."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, Literal
from uuid import UUID

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel

from ingest.domain.errors import BodyTooLarge
from ingest.domain.signature import ED25519_HEADER, RSA_HEADER
from ingest.endpoint import BodyReader, WebhookEndpoint
from ingest.fastpath import WEBHOOK_PATHS
from leadflow_common.telemetry import current_traceparent


class WebhookAccepted(BaseModel):
    status: Literal["accepted", "duplicate"]
    event_id: UUID


class WebhookError(BaseModel):
    status: Literal["rejected", "retry"]
    detail: str


BODY_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["type"],
    "additionalProperties": True,
    "properties": {
        "type": {"type": "string", "description": "GHL event name, e.g. ContactCreate"},
        "locationId": {"type": "string"},
        "webhookId": {"type": "string", "description": "replay protection: published once"},
        "timestamp": {
            "type": "string",
            "format": "date-time",
            "description": "at most INGEST_TIMESTAMP_MAX_AGE_S old (GHL's retry horizon), "
            "INGEST_TIMESTAMP_FUTURE_SKEW_S ahead",
        },
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
        400: "not JSON, not a JSON object, or no `type`",
        401: "missing or invalid signature, timestamp past the retry horizon or too far ahead",
        413: "body larger than the configured cap",
        415: "content type is not JSON",
        429: "Kafka cannot take the event now; retry after Retry-After seconds",
    }.items()
}


def _stream_reader(request: Request) -> BodyReader:
    async def read(limit: int) -> bytes:
        body = bytearray()
        chunks: AsyncIterator[bytes] = request.stream()
        async for chunk in chunks:
            body += chunk
            if len(body) > limit:
                raise BodyTooLarge(f"body exceeds {limit} bytes")
        return bytes(body)

    return read


def webhook_router(endpoint: WebhookEndpoint) -> APIRouter:
    """The documented routes; ``IngestApp`` answers the same paths in the served app."""
    router = APIRouter(tags=["webhooks"])

    async def receive_ghl_webhook(request: Request) -> Response:
        """Verify, validate and publish one GHL webhook to ghl.events.v1; 200 only after the broker's ack."""
        reply = await endpoint.answer(request.headers.get, _stream_reader(request), current_traceparent())
        return Response(reply.body, reply.status_code, reply.headers, media_type="application/json")

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
