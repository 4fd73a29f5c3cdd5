"""Prometheus metrics of the analytics service."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

EVENTS_APPLIED = Counter(
    "analytics_events_total", "Events seen by the projector by outcome", ["outcome"]
)  # outcome: applied, duplicate, skipped, parked, unparked
BATCH_SIZE = Histogram(
    "analytics_batch_size", "Records per applied batch", buckets=(1, 5, 10, 25, 50, 100, 250, 500, 1000)
)
BATCH_SECONDS = Histogram(
    "analytics_batch_duration_seconds",
    "Time to translate and apply one batch in Postgres",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
FRESHNESS_SECONDS = Gauge(
    "analytics_freshness_seconds", "Age of the newest applied event when its batch committed"
)
CACHE_REQUESTS = Counter("analytics_cache_requests_total", "API cache lookups", ["result"])
