"""The served ASGI app: ``POST`` on the webhook paths is answered before any framework middleware.

FastAPI's middleware stack (telemetry, error and body-limit middlewares), routing and the
Request/Response objects cost about as much CPU as the webhook use case itself; every other
request (ops endpoints, OpenAPI, the documented route's GET 405s) goes to the FastAPI app
unchanged. The fast path answers exactly what the documented route answers (same
``WebhookEndpoint``) and opens its own server span: the span is not made current (no context
attach/detach per request), its traceparent is handed to the event explicitly.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import Any

from fastapi import FastAPI
from opentelemetry import propagate, trace
from opentelemetry.trace import Span, SpanKind, Status, StatusCode
from starlette.datastructures import State
from starlette.requests import ClientDisconnect

from ingest.domain.errors import BodyTooLarge
from ingest.domain.signature import ED25519_HEADER, RSA_HEADER
from ingest.endpoint import WebhookEndpoint

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

WEBHOOK_PATHS = ("/webhooks/ghl", "/api/v1/webhooks/ghl")
_WANTED = frozenset(
    name.encode()
    for name in ("content-type", "content-length", ED25519_HEADER, RSA_HEADER, "traceparent", "tracestate")
)


class IngestApp:
    """What uvicorn serves: the webhook fast path in front of the FastAPI app (``api``)."""

    def __init__(self, api: FastAPI, endpoint: WebhookEndpoint, paths: Iterable[str] = WEBHOOK_PATHS):
        self.api = api
        self._endpoint = endpoint
        self._paths = frozenset(paths)
        self._tracer = trace.get_tracer("ingest.webhooks")

    @property
    def state(self) -> State:
        return self.api.state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or _route_path(scope) not in self._paths:
            await self.api(scope, receive, send)
            return
        headers = _first_headers(scope["headers"])
        span = self._server_span(scope, headers)
        try:
            reply = await self._endpoint.answer(headers.get, _asgi_body(receive), _traceparent(span))
            if span.is_recording():
                span.set_attribute("http.response.status_code", reply.status_code)
                if reply.status_code >= 400:
                    span.set_status(Status(StatusCode.ERROR))
        finally:
            span.end()
        await send(
            {"type": "http.response.start", "status": reply.status_code, "headers": reply.asgi_headers()}
        )
        await send({"type": "http.response.body", "body": reply.body})

    def _server_span(self, scope: Scope, headers: dict[str, str]) -> Span:
        # Only an upstream traceparent is worth the propagator's work; GHL sends none.
        parent = propagate.extract(headers) if "traceparent" in headers else None
        return self._tracer.start_span(
            f"POST {scope['path']}",
            context=parent,
            kind=SpanKind.SERVER,
            attributes={"http.request.method": "POST", "url.path": scope["path"]},
        )


def _traceparent(span: Span) -> str | None:
    context = span.get_span_context()
    if not context.is_valid:
        return None
    return f"00-{context.trace_id:032x}-{context.span_id:016x}-{int(context.trace_flags):02x}"


def _first_headers(raw: Iterable[tuple[bytes, bytes]]) -> dict[str, str]:
    found: dict[str, str] = {}
    for raw_name, value in raw:
        name = raw_name.lower()
        if name in _WANTED:
            found.setdefault(name.decode(), value.decode("latin-1"))
    return found


def _route_path(scope: Scope) -> str:
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    return path[len(root) :] if root and path.startswith(root) else path


def _asgi_body(receive: Receive) -> Callable[[int], Awaitable[bytes]]:
    async def read(limit: int) -> bytes:
        """The body as it arrives in ``http.request`` messages, refused once past ``limit``."""
        body = b""
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise ClientDisconnect
            chunk: bytes = message.get("body", b"")
            body += chunk
            if len(body) > limit:
                raise BodyTooLarge(f"body exceeds {limit} bytes")
            if not message.get("more_body", False):
                return body

    return read
