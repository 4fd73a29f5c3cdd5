"""OpenTelemetry set-up and W3C trace context carried in Kafka headers and envelopes."""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping

from opentelemetry import propagate, trace
from opentelemetry.context import Context
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter

_configured = False


def setup_tracing(service: str, exporter: str = "none") -> TracerProvider:
    """Install a tracer provider once per process. ``exporter``: none | console."""
    global _configured
    provider = trace.get_tracer_provider()
    if _configured and isinstance(provider, TracerProvider):
        return provider
    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    if exporter == "console":
        provider.add_span_processor(BatchSpanProcessor(ConsoleSpanExporter()))
    trace.set_tracer_provider(provider)
    _configured = True
    return provider


def inject_trace_headers(headers: MutableMapping[str, str]) -> MutableMapping[str, str]:
    """Write the current context's ``traceparent`` (and ``tracestate``) into ``headers``."""
    propagate.inject(headers)
    return headers


def current_traceparent() -> str | None:
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier.get("traceparent")


def context_from_headers(headers: Mapping[str, str]) -> Context:
    return propagate.extract(dict(headers))


def tracer(name: str) -> trace.Tracer:
    return trace.get_tracer(name)
