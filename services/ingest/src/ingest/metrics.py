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


class BoundMetrics:
    """Metric children bound once, not per request: ``.labels()`` takes a lock and builds a key
    tuple each call. Label values are bounded (outcomes; envelope types are the known GHL types
    plus ``Unknown``), so the cache stays small."""

    def __init__(self) -> None:
        self._webhooks: dict[tuple[str, str], Counter] = {}
        self._request_seconds: dict[str, Histogram] = {}
        self._failures: dict[str, Counter] = {}
        self.produce_ok = PRODUCE_SECONDS.labels(outcome="ok")
        self.produce_timeout = PRODUCE_SECONDS.labels(outcome="timeout")
        self.produce_error = PRODUCE_SECONDS.labels(outcome="error")
        self.in_flight = IN_FLIGHT
        for outcome in ("accepted", "duplicate"):
            self.webhook("ContactCreate", outcome)
            self.request_seconds(outcome)

    def webhook(self, event_type: str, outcome: str) -> Counter:
        child = self._webhooks.get((event_type, outcome))
        if child is None:
            child = self._webhooks[event_type, outcome] = WEBHOOKS.labels(
                event_type=event_type, outcome=outcome
            )
        return child

    def request_seconds(self, outcome: str) -> Histogram:
        child = self._request_seconds.get(outcome)
        if child is None:
            child = self._request_seconds[outcome] = REQUEST_SECONDS.labels(outcome=outcome)
        return child

    def verification_failure(self, reason: str) -> Counter:
        child = self._failures.get(reason)
        if child is None:
            child = self._failures[reason] = VERIFICATION_FAILURES.labels(reason=reason)
        return child
