"""Ingest's Prometheus metrics."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

WEBHOOKS = Counter(
    "ingest_webhooks_total",
    "Webhook requests by envelope event type and outcome",
    ["event_type", "outcome"],
)
VERIFICATION_FAILURES = Counter(
    "ingest_signature_failures_total",
    "Rejected signatures by reason (missing, malformed, invalid)",
    ["reason"],
)
PRODUCE_SECONDS = Histogram(
    "ingest_produce_duration_seconds",
    "From send to the broker's ack (acks=all), by outcome",
    ["outcome"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
REQUEST_SECONDS = Histogram(
    "ingest_request_duration_seconds",
    "Webhook request handling time, by outcome",
    ["outcome"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
IN_FLIGHT = Gauge("ingest_in_flight_requests", "Webhook requests being handled right now")
