"""Trace exporters, flushing at shutdown, and the spans of consumed records."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import INVALID_SPAN, SpanKind

from leadflow_common import telemetry
from leadflow_common.telemetry import (
    consume_span,
    continue_trace,
    exporter_names,
    record_context,
    traceparent_context,
    tracer_provider,
)

SAMPLED = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
OTHER_SAMPLED = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03"  # sampled, random id
UNSAMPLED = "00-11111111111111111111111111111111-2222222222222222-02"


@dataclass
class Record:
    topic: str
    headers: dict[str, str] = field(default_factory=dict)


@pytest.fixture
def spans(monkeypatch: pytest.MonkeyPatch) -> Iterator[InMemorySpanExporter]:
    """The helpers' tracer on a provider of this test, with tracing 'exported'."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider(shutdown_on_exit=False)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    monkeypatch.setattr(telemetry, "_consumer_tracer", provider.get_tracer("test"))
    monkeypatch.setattr(telemetry, "_exporting", True)
    yield exporter
    provider.shutdown()


def test_the_standard_variable_chooses_the_exporter_over_the_setting() -> None:
    assert exporter_names("console", {"OTEL_TRACES_EXPORTER": "otlp"}) == ["otlp"]
    assert exporter_names("otlp", {}) == ["otlp"]
    assert exporter_names("none", {}) == []
    assert exporter_names("none", {"OTEL_TRACES_EXPORTER": "otlp, console,otlp"}) == ["otlp", "console"]
    with pytest.raises(ValueError, match="jaeger"):
        exporter_names("jaeger", {})


def test_otlp_exporter_reads_the_standard_endpoint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector.example:4318")
    exporter = telemetry.span_exporter("otlp")
    try:
        assert getattr(exporter, "_endpoint", None) == "http://collector.example:4318/v1/traces"
    finally:
        exporter.shutdown()


def test_spans_still_queued_are_exported_at_shutdown() -> None:
    exporter = InMemorySpanExporter()
    provider = tracer_provider("svc", [exporter], sample_ratio=1.0)  # batch processor, 5 s delay
    provider.get_tracer("t").start_span("last").end()
    assert exporter.get_finished_spans() == ()

    provider.shutdown()

    (span,) = exporter.get_finished_spans()
    assert span.name == "last"
    assert span.resource.attributes["service.name"] == "svc"


def test_a_batch_span_links_each_sampled_record_and_parents_the_batch_work(
    spans: InMemorySpanExporter,
) -> None:
    records = [
        Record("ghl.events.v1", {"traceparent": SAMPLED}),
        Record("ghl.events.v1", {"traceparent": UNSAMPLED}),
        Record("ghl.events.v1"),
        Record("ghl.events.v1", {"traceparent": OTHER_SAMPLED}),
    ]

    tracer = telemetry._consumer_tracer
    with consume_span("router-routing", records) as batch, tracer.start_as_current_span("redis pipeline"):
        pass

    child, span = spans.get_finished_spans()
    assert span is not None and span.kind is SpanKind.CONSUMER
    assert span.name == "process ghl.events.v1"
    assert {(f"{link.context.trace_id:032x}", f"{link.context.span_id:016x}") for link in span.links} == {
        ("0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331"),
        ("4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"),
    }
    assert span.attributes is not None
    assert span.attributes["messaging.consumer.group.name"] == "router-routing"
    assert span.attributes["messaging.batch.message_count"] == 4
    assert child.parent is not None and child.parent.span_id == batch.get_span_context().span_id


def test_without_an_exporter_a_batch_makes_no_span(
    spans: InMemorySpanExporter, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(telemetry, "_exporting", False)

    with consume_span("g", [Record("t", {"traceparent": SAMPLED})]) as span:
        assert span is INVALID_SPAN

    assert spans.get_finished_spans() == ()


def test_one_record_continues_its_trace_from_its_header_or_its_envelope(
    spans: InMemorySpanExporter,
) -> None:
    parent = record_context({"traceparent": SAMPLED})
    tracer = telemetry._consumer_tracer
    with continue_trace(parent, "router.sync", lead_id="c1"), tracer.start_as_current_span("POST /contacts/"):
        pass
    with continue_trace(traceparent_context(OTHER_SAMPLED), "router.sync"):
        pass

    client, from_header, from_envelope = spans.get_finished_spans()
    assert f"{from_header.context.trace_id:032x}" == "0af7651916cd43dd8448eb211c80319c"
    assert from_header.parent is not None and f"{from_header.parent.span_id:016x}" == "b7ad6b7169203331"
    assert from_header.attributes is not None and from_header.attributes["lead_id"] == "c1"
    assert client.context.trace_id == from_header.context.trace_id
    assert client.parent is not None and client.parent.span_id == from_header.context.span_id
    assert f"{from_envelope.context.trace_id:032x}" == "4bf92f3577b34da6a3ce929d0e0e4736"


def test_a_record_without_trace_context_only_runs_the_block(spans: InMemorySpanExporter) -> None:
    assert record_context({}) is None
    assert traceparent_context(None) is None

    with continue_trace(record_context({}), "router.sync") as span:
        assert span is INVALID_SPAN

    assert spans.get_finished_spans() == ()
