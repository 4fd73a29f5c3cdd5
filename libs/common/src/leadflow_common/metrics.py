"""Prometheus metrics shared by every consumer; service-specific metrics live in the service."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

MESSAGES_HANDLED = Counter(
    "leadflow_messages_handled_total",
    "Kafka messages handled by outcome (ok, duplicate, skipped, retried, dead_lettered, nacked)",
    ["topic", "group", "outcome"],
)
HANDLER_SECONDS = Histogram(
    "leadflow_handler_duration_seconds",
    "Time spent handling one Kafka message (or batch), including retries",
    ["topic", "group"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
DEAD_LETTERED = Counter(
    "leadflow_dead_lettered_total", "Messages sent to a dead-letter topic", ["topic", "error_class"]
)
CONSUMER_LAG = Gauge(
    "leadflow_consumer_lag",
    "Log-end offset minus committed offset, per group and partition (what KEDA computes)",
    ["group", "topic", "partition"],
)
