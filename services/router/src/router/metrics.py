"""The router's own Prometheus metrics (consumer-level ones come from leadflow_common)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

ROUTING_SECONDS = Histogram(
    "lead_routing_duration_seconds",
    "From a routable contact event to its durable decision (geocode, Redis decision, Postgres commit)",
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5),
)
DECISIONS = Counter("router_decisions_total", "Routing decisions by the rule that fired", ["rule"])
UNASSIGNED = Counter("router_unassigned_total", "Leads sent to the unassigned pool by reason", ["reason"])
CAPACITY_UTILIZATION = Gauge(
    "location_capacity_utilization",
    "Reserved leads / daily capacity of a location for its current local day",
    ["location"],
)
SYNCS = Counter("router_ghl_syncs_total", "Assignments applied in GHL by outcome", ["outcome"])
DIRECTORY_REBUILDS = Counter("router_directory_rebuilds_total", "Rebuilds of the Redis directory")
SLA_OUTCOMES = Counter(
    "router_sla_outcomes_total",
    "SLA timers by outcome: worked, reassigned, breached_kept (max re-routes), breached_no_location",
    ["outcome"],
)
HOURS_SWAPS = Counter("router_hours_preferred_total", "Decisions where business hours changed the location")
MOVES = Counter(
    "router_lead_moves_total",
    "Leads moved by rule: manual (to a named location), reassigned (auto), pool_redrive",
    ["rule"],
)
MOVES_REFUSED = Counter("router_lead_moves_refused_total", "Reassignments refused, by why", ["refusal"])
POOL_TRIGGERS = Counter("router_pool_triggers_total", "Pool re-drive triggers recorded, by kind", ["kind"])
