"""One lead's spans form one trace: webhook (ingest) → Kafka → router → GHL call.

Ingest, the router and the GHL simulator run as processes exporting OTLP/HTTP (the standard
``OTEL_*`` variables, everything sampled) to a receiver in this test, which decodes the
``ExportTraceServiceRequest`` protobufs. One signed webhook is sent; the ingest server span must
be the root of a trace that holds the router's span for that lead and its GHL HTTP calls, and the
router's batch span for the webhook's record must link to that trace.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import orjson
import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span as ProtoSpan

from ghl_simulator.webhooks import WebhookSigner, stamp
from leadflow_system.rig import profiles_from_csv, rig_system
from leadflow_system.seed import contacts_of, seed
from leadflow_system.system import LocalSystem
from tests.support.fault_checks import LOCATIONS_CSV, lead_bodies
from tests.support.infra import Infra, drop_schema

WAIT_S = 90.0


@dataclass(frozen=True)
class Received:
    service: str
    name: str
    kind: int
    trace_id: str
    span_id: str
    parent_id: str
    links: tuple[str, ...]  # trace ids
    attributes: dict[str, Any]


def _value(value: AnyValue) -> Any:
    kind = value.WhichOneof("value")
    return getattr(value, kind) if kind else None


@dataclass
class Receiver:
    """An OTLP/HTTP trace receiver (POST /v1/traces, protobuf) on 127.0.0.1."""

    spans: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, body: bytes) -> None:
        request = ExportTraceServiceRequest.FromString(body)
        out: list[Received] = []
        for resource_spans in request.resource_spans:
            resource = {a.key: _value(a.value) for a in resource_spans.resource.attributes}
            for scope_spans in resource_spans.scope_spans:
                for span in scope_spans.spans:
                    out.append(
                        Received(
                            service=str(resource.get("service.name")),
                            name=span.name,
                            kind=span.kind,
                            trace_id=span.trace_id.hex(),
                            span_id=span.span_id.hex(),
                            parent_id=span.parent_span_id.hex(),
                            links=tuple(link.trace_id.hex() for link in span.links),
                            attributes={a.key: _value(a.value) for a in span.attributes},
                        )
                    )
        with self.lock:
            self.spans.extend(out)

    def snapshot(self) -> list[Received]:
        with self.lock:
            return list(self.spans)


@pytest.fixture(scope="module")
def receiver() -> Iterator[tuple[Receiver, str]]:
    received = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", 0)))
            if self.path != "/v1/traces":
                self.send_response(404)
                self.end_headers()
                return
            received.add(body)
            reply = ExportTraceServiceResponse().SerializeToString()
            self.send_response(200)
            self.send_header("content-type", "application/x-protobuf")
            self.send_header("content-length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, name="otlp-receiver", daemon=True)
    thread.start()
    try:
        yield received, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture(scope="module")
def rig(
    infra: Infra,
    topic_namespace: str,
    receiver: tuple[Receiver, str],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[LocalSystem]:
    _, endpoint = receiver
    tracing = {
        "OTEL_TRACES_EXPORTER": "otlp",
        "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint,
        "OTEL_TRACES_SAMPLER": "parentbased_always_on",
        "OTEL_BSP_SCHEDULE_DELAY": "200",  # ms: spans reach the receiver soon after they end
    }
    with rig_system(
        infra.env,
        tmp_path_factory.mktemp("tracing-logs"),
        topic_namespace,
        profiles_from_csv(LOCATIONS_CSV, 16),
        services=("ingest", "router"),
        extra_env=tracing,
    ) as system:
        try:
            yield system
        finally:
            drop_schema(infra, system.schema("router"))


def descends_from(span: Received, root: Received, by_id: dict[str, Received]) -> bool:
    seen = 0
    while span.parent_id and seen < 100:
        if span.parent_id == root.span_id:
            return True
        parent = by_id.get(span.parent_id)
        if parent is None:
            return False
        span, seen = parent, seen + 1
    return False


def is_ghl_call(span: Received) -> bool:
    url = str(span.attributes.get("url.full") or span.attributes.get("http.url") or "")
    method = span.attributes.get("http.request.method") or span.attributes.get("http.method")
    return span.kind == ProtoSpan.SPAN_KIND_CLIENT and bool(method) and "/contacts" in url


@dataclass
class LeadTrace:
    webhook: Received | None = None
    spans: list[Received] = field(default_factory=list)  # every span of the webhook's trace
    batch_links: list[Received] = field(default_factory=list)  # router consumer spans linking it

    def router(self) -> list[Received]:
        return [s for s in self.spans if s.service == "router"]

    def ghl_calls(self) -> list[Received]:
        return [s for s in self.router() if is_ghl_call(s)]

    def complete(self) -> bool:
        return bool(self.webhook and self.batch_links and self.ghl_calls())


def lead_trace(spans: list[Received]) -> LeadTrace:
    found = LeadTrace()
    webhooks = [s for s in spans if s.service == "ingest" and s.name == "POST /webhooks/ghl"]
    if not webhooks:
        return found
    found.webhook = webhooks[0]
    trace_id = found.webhook.trace_id
    found.spans = [s for s in spans if s.trace_id == trace_id]
    found.batch_links = [
        s
        for s in spans
        if s.service == "router" and s.kind == ProtoSpan.SPAN_KIND_CONSUMER and trace_id in s.links
    ]
    return found


async def test_one_lead_is_one_trace_from_webhook_to_ghl_call(
    rig: LocalSystem, receiver: tuple[Receiver, str]
) -> None:
    received, _ = receiver
    body = stamp(lead_bodies(1, seed=151)[0])
    seed(rig.url("ghl-simulator"), contacts=contacts_of([body]))
    raw = orjson.dumps(body)
    async with httpx.AsyncClient(timeout=10) as client:
        reply = await client.post(
            rig.url("ingest") + "/webhooks/ghl", content=raw, headers=WebhookSigner.from_dir().headers(raw)
        )
    assert reply.status_code == 200, reply.text

    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT_S
    found = lead_trace(received.snapshot())
    while not found.complete() and loop.time() < deadline:
        await asyncio.sleep(0.5)
        found = lead_trace(received.snapshot())

    webhook = found.webhook
    assert webhook is not None, "no ingest span for the webhook reached the receiver"
    assert webhook.kind == ProtoSpan.SPAN_KIND_SERVER and webhook.parent_id == ""
    assert found.batch_links, (
        "no router consumer span links the webhook's trace (consume_span in the consumer engine); "
        f"router spans: {sorted({s.name for s in received.snapshot() if s.service == 'router'})}"
    )
    groups = {s.attributes.get("messaging.consumer.group.name") for s in found.batch_links}
    assert "router" in groups  # the routing group (router.settings.ROUTING_GROUP) linked it
    assert found.ghl_calls(), (
        "no GHL HTTP call of the router in the webhook's trace; spans of that trace: "
        f"{[(s.service, s.name) for s in found.spans]}"
    )
    # One trace: one root (the webhook), every other span of it reached through its parents.
    by_id = {s.span_id: s for s in found.spans}
    assert [s for s in found.spans if not s.parent_id] == [webhook]
    orphans = [
        (s.service, s.name) for s in found.spans if s is not webhook and not descends_from(s, webhook, by_id)
    ]
    assert orphans == []
    assert {s.service for s in found.spans} >= {"ingest", "router"}
    lead_spans = [s for s in found.router() if s.attributes.get("lead_id") == body["id"]]
    assert lead_spans, "the router's span for the lead carries its lead_id"
    assert all(any(descends_from(c, lead, by_id) for lead in lead_spans) for c in found.ghl_calls())
