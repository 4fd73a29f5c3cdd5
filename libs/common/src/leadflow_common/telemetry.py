"""OpenTelemetry set-up, W3C trace context carried in Kafka headers and envelopes, and the spans
of consumed records (docs/decisions/tracing-in-production.md).

Exporters: ``OTEL_TRACES_EXPORTER`` (standard, e.g. ``otlp``) when set, else the service's
``exporter`` setting: none | console | otlp (comma-separated for several). ``otlp`` is OTLP over
HTTP/protobuf configured by the standard ``OTEL_EXPORTER_OTLP_*`` variables (endpoint, headers,
timeout, compression, certificates), behind a batch span processor; the provider is shut down
(and its queue flushed) at interpreter exit or by ``shutdown_tracing``.

Only when something is exported are the httpx (GHL calls), Redis and SQLAlchemy (Postgres)
instrumentations enabled and are consumer spans made: otherwise those hot paths pay nothing.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, MutableMapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Protocol

from opentelemetry import propagate, trace
from opentelemetry.context import Context
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter
from opentelemetry.sdk.trace.sampling import ParentBased, Sampler, TraceIdRatioBased
from opentelemetry.trace import INVALID_SPAN, Link, Span, SpanKind
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

_configured = False
_exporting = False

# Share of new traces recorded when OTEL_TRACES_SAMPLER is not set. Recording a span costs ~100 µs
# of CPU (attributes, events, processors); unsampled spans still carry valid trace/span ids, so
# context propagates through HTTP, Kafka headers and envelopes either way. ParentBased: a sampled
# parent (e.g. an upstream traceparent with flag 01) is always followed, so traces stay whole.
DEFAULT_SAMPLE_RATIO = 0.01
EXPORTERS = ("none", "console", "otlp")
# The SDK keeps at most 128 links per span (OTEL_SPAN_LINK_COUNT_LIMIT); parsing more is waste.
MAX_LINKS = 128

_TRACECONTEXT = TraceContextTextMapPropagator()
_ODD_HEX = frozenset("13579bdfBDF")
_consumer_tracer = trace.get_tracer("leadflow.kafka.consumer")


def default_sampler(ratio: float = DEFAULT_SAMPLE_RATIO) -> Sampler | None:
    """ParentBased(TraceIdRatio(ratio)), or None to let the SDK honour OTEL_TRACES_SAMPLER(_ARG)."""
    if os.environ.get("OTEL_TRACES_SAMPLER"):
        return None
    return ParentBased(TraceIdRatioBased(ratio))


def exporter_names(exporter: str = "none", environ: Mapping[str, str] = os.environ) -> list[str]:
    """The exporters to install: the standard ``OTEL_TRACES_EXPORTER`` wins over the setting."""
    chosen = environ.get("OTEL_TRACES_EXPORTER") or exporter
    names = [n.strip().lower() for n in chosen.split(",") if n.strip()]
    unknown = [n for n in names if n not in EXPORTERS]
    if unknown:
        raise ValueError(f"unknown trace exporter(s) {unknown}: use {' | '.join(EXPORTERS)}")
    return [n for n in dict.fromkeys(names) if n != "none"]


def span_exporter(name: str) -> SpanExporter:
    if name == "console":
        return ConsoleSpanExporter()
    # Imported only when chosen: the exporter pulls in protobuf and requests.
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    return OTLPSpanExporter()  # endpoint, headers, timeout...: OTEL_EXPORTER_OTLP_(TRACES_)*


def tracer_provider(
    service: str, exporters: Sequence[SpanExporter], sample_ratio: float = DEFAULT_SAMPLE_RATIO
) -> TracerProvider:
    """A provider exporting through one batch span processor per exporter (queue size, delay:
    the standard OTEL_BSP_* variables); shut down, and so flushed, at interpreter exit."""
    provider = TracerProvider(
        resource=Resource.create({"service.name": service}),
        sampler=default_sampler(sample_ratio),
        shutdown_on_exit=True,
    )
    for exporter in exporters:
        provider.add_span_processor(BatchSpanProcessor(exporter))
    return provider


def setup_tracing(
    service: str, exporter: str = "none", sample_ratio: float = DEFAULT_SAMPLE_RATIO
) -> TracerProvider:
    """Install a tracer provider once per process (see the module doc for the exporters).

    Sampling: the standard ``OTEL_TRACES_SAMPLER``/``OTEL_TRACES_SAMPLER_ARG`` when set (e.g.
    ``parentbased_always_on`` to record everything), else ParentBased(TraceIdRatio(sample_ratio)).
    """
    global _configured, _exporting
    provider = trace.get_tracer_provider()
    if _configured and isinstance(provider, TracerProvider):
        return provider
    names = exporter_names(exporter)
    provider = tracer_provider(service, [span_exporter(n) for n in names], sample_ratio)
    trace.set_tracer_provider(provider)
    _configured = True
    if names:
        _exporting = True
        instrument_libraries(provider)
    return provider


def shutdown_tracing() -> None:
    """Export what is still queued (also done at interpreter exit)."""
    provider = trace.get_tracer_provider()
    if isinstance(provider, TracerProvider):
        provider.shutdown()


def tracing_exported() -> bool:
    return _exporting


def instrument_libraries(provider: TracerProvider) -> None:
    """Client spans for every httpx request (the GHL client: its PooledTransport's inner
    ``AsyncHTTPTransport``s are patched at class level) and every Redis command or pipeline."""
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
    from opentelemetry.instrumentation.redis import RedisInstrumentor

    for instrumentor in (HTTPXClientInstrumentor(), RedisInstrumentor()):
        if not instrumentor.is_instrumented_by_opentelemetry:
            instrumentor.instrument(tracer_provider=provider)


def instrument_engine(engine: AsyncEngine) -> AsyncEngine:
    """Postgres spans (one per statement) on ``engine`` when traces are exported. Per engine
    rather than by patching ``create_async_engine``, which modules import before tracing is set
    up, so services call ``setup_tracing`` before they make engines."""
    provider = trace.get_tracer_provider()
    if _exporting and isinstance(provider, TracerProvider):
        _trace_engine(engine, provider)
    return engine


def _trace_engine(engine: AsyncEngine, provider: TracerProvider) -> None:
    from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor
    from opentelemetry.instrumentation.sqlalchemy.engine import EngineTracer
    from opentelemetry.metrics import get_meter

    # EngineTracer directly: the instrumentor's instrument(engine=...) works once per process.
    tracer = trace.get_tracer(SQLAlchemyInstrumentor.__module__, tracer_provider=provider)
    usage = get_meter(SQLAlchemyInstrumentor.__module__).create_up_down_counter(
        "db.client.connections.usage", unit="connections"
    )
    EngineTracer(tracer, engine.sync_engine, usage)  # type: ignore[no-untyped-call]


def inject_trace_headers(headers: MutableMapping[str, str]) -> MutableMapping[str, str]:
    """Write the current context's ``traceparent`` (and ``tracestate``) into ``headers``."""
    propagate.inject(headers)
    return headers


def current_traceparent() -> str | None:
    """The W3C ``traceparent`` of the current span (sampled or not), formatted directly.

    Same value as the tracecontext propagator writes, without a carrier and the composite
    propagator's round through every configured propagator.
    """
    context = trace.get_current_span().get_span_context()
    if not context.is_valid:
        return None
    return f"00-{context.trace_id:032x}-{context.span_id:016x}-{int(context.trace_flags):02x}"


def context_from_headers(headers: Mapping[str, str]) -> Context:
    return propagate.extract(dict(headers))


def tracer(name: str) -> trace.Tracer:
    return trace.get_tracer(name)


# --- consumed records -----------------------------------------------------------------------


class TracedRecord(Protocol):
    """What the consumer helpers read of a record (leadflow_common.kafka ConsumedRecord)."""

    @property
    def topic(self) -> str: ...

    @property
    def headers(self) -> Mapping[str, str]: ...


def record_context(headers: Mapping[str, str]) -> Context | None:
    """The trace context a record's ``traceparent`` header continues, or None without one."""
    if "traceparent" not in headers:
        return None
    return _TRACECONTEXT.extract(headers)


def traceparent_context(traceparent: str | None) -> Context | None:
    """The trace context of a W3C ``traceparent`` string (an envelope's ``trace`` field)."""
    if not traceparent:
        return None
    return _TRACECONTEXT.extract({"traceparent": traceparent})


def _sampled_link(headers: Mapping[str, str]) -> Link | None:
    traceparent = headers.get("traceparent")
    # The flags are the last two hex digits (01 sampled, 02 random trace id: the SDK writes 03);
    # only a sampled upstream is worth a link, and the others are not parsed.
    if not traceparent or traceparent[-1:] not in _ODD_HEX:
        return None
    context = trace.get_current_span(_TRACECONTEXT.extract(headers)).get_span_context()
    return Link(context) if context.is_valid and context.trace_flags.sampled else None


@contextmanager
def consume_span(group: str, records: Sequence[TracedRecord]) -> Iterator[Span]:
    """One CONSUMER span around the application of a polled batch, current inside the block
    (Redis and Postgres spans of the batch are its children), linked to the trace of each
    sampled record (OTel messaging conventions for batch processing: a batch has many parents).

    Without an exporter it makes no span and parses no header.
    """
    if not _exporting or not records:
        yield INVALID_SPAN
        return
    links: list[Link] = []
    for record in records:
        if (link := _sampled_link(record.headers)) is not None:
            links.append(link)
            if len(links) == MAX_LINKS:
                break
    topics = sorted({r.topic for r in records})
    attributes: dict[str, Any] = {
        "messaging.system": "kafka",
        "messaging.operation.type": "process",
        "messaging.destination.name": ",".join(topics),
        "messaging.consumer.group.name": group,
        "messaging.batch.message_count": len(records),
    }
    with _consumer_tracer.start_as_current_span(
        f"process {attributes['messaging.destination.name']}",
        kind=SpanKind.CONSUMER,
        links=links,
        attributes=attributes,
    ) as span:
        yield span


@contextmanager
def continue_trace(
    parent: Context | None, name: str, kind: SpanKind = SpanKind.INTERNAL, **attributes: Any
) -> Iterator[Span]:
    """A span continuing one record's trace (``record_context(headers)`` or
    ``traceparent_context(envelope.trace)``), current inside the block, so the client spans of
    the work done for that record (GHL calls, Redis, Postgres) join the lead's trace.

    Without an exporter or a parent it only runs the block.
    """
    if not _exporting or parent is None:
        yield INVALID_SPAN
        return
    with _consumer_tracer.start_as_current_span(
        name, context=parent, kind=kind, attributes=attributes
    ) as span:
        yield span
