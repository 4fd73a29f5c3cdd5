"""Prometheus metrics of the GHL client: calls, latency, 429s, time spent throttled, retries."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

CALLS = Counter(
    "ghl_client_calls_total",
    "GHL API calls by endpoint and HTTP status (0 = no answer)",
    ["endpoint", "status"],
)
LATENCY = Histogram(
    "ghl_client_call_duration_seconds",
    "Latency of one GHL HTTP exchange (not counting limiter waits)",
    ["endpoint"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
RATE_LIMITED = Counter("ghl_client_429_total", "429 answers received from GHL", ["endpoint"])
THROTTLED_SECONDS = Counter(
    "ghl_client_throttled_seconds_total", "Time callers waited for a rate-limit slot", ["endpoint"]
)
RETRIES = Counter("ghl_client_retries_total", "Attempts retried, by reason", ["endpoint", "reason"])
