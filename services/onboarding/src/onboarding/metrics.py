"""Prometheus metrics of the onboarding service."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

IN_PROGRESS = Gauge("onboarding_sagas_in_progress", "Sagas this replica is driving right now")
FINISHED = Counter("onboarding_sagas_finished_total", "Sagas that reached a final status", ["status"])
STEP_SECONDS = Histogram(
    "onboarding_step_duration_seconds",
    "Duration of a successful saga step attempt",
    ["step"],
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120),
)
STEP_FAILURES = Counter("onboarding_step_failures_total", "Failed saga step attempts", ["step"])
COMMANDS = Counter("onboarding_commands_total", "Commands handled", ["command", "outcome"])
CREDENTIALS_BLOCKED = Gauge(
    "onboarding_ghl_credentials_blocked",
    "1 while this location's saga is parked because GHL refuses the credentials (scope: agency "
    "token or the sub-account's); it resumes by itself once they work",
    ["location_id", "scope"],
)
