"""What the projections are made of: plain facts translated from events, and the counters."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

from analytics.domain.speed import BUCKETS, SLA_COUNTERS

# The pseudo-location that collects leads the router could not place (overview's unassigned rate).
UNASSIGNED = "_UNASSIGNED"
UNASSIGNED_TIMEZONE = "UTC"

COUNTERS: tuple[str, ...] = (
    "leads",
    "score_sum",
    "unassigned",
    "won",
    "lost",
    "appointments",
    "synced",
    "sync_failures",
    *SLA_COUNTERS,
    *BUCKETS,
)


@dataclass(frozen=True, slots=True)
class Activity:
    """Counter deltas of one event, and what is known about whose they are.

    ``location_id`` names the location directly (routing decisions, onboarding); otherwise the
    location is found from ``ghl_location_id`` (a franchise sub-account) or, for an intake
    account, through the lead table by ``contact_id``. ``counts_lead`` marks a routing decision's
    count of the lead itself (leads + score_sum, or unassigned): only the lead's newest decision
    keeps it, see domain/moves.py."""

    event_id: str
    at: datetime
    deltas: Mapping[str, float]
    location_id: str | None = None
    ghl_location_id: str | None = None
    contact_id: str | None = None
    counts_lead: str | None = None


def lead_count(location_id: str, score: float | None) -> dict[str, float]:
    """The counters one routed lead adds where it is counted."""
    if location_id == UNASSIGNED:
        return {"unassigned": 1.0}
    return {"leads": 1.0, "score_sum": score or 0.0}


@dataclass(frozen=True, slots=True)
class LocationInfo:
    """The latest LocationProfile of a location (locations.v1)."""

    location_id: str
    name: str
    timezone: str
    daily_capacity: int
    status: str
    at: datetime
    ghl_location_id: str | None = None
    region: str | None = None
    state: str | None = None


@dataclass(frozen=True, slots=True)
class LeadRoute:
    """Where a lead went: a location, or UNASSIGNED. ``location_contact_id`` once synced."""

    lead_id: str
    at: datetime | None = None  # decision time; None for a sync, which decides nothing
    location_id: str | None = None
    score: float | None = None
    location_contact_id: str | None = None


@dataclass(frozen=True, slots=True)
class OnboardingState:
    location_id: str
    state: str
    at: datetime


@dataclass(slots=True)
class Facts:
    """Everything one batch of events says, split by kind."""

    activities: list[Activity] = field(default_factory=list)
    locations: list[LocationInfo] = field(default_factory=list)
    offboarded: list[str] = field(default_factory=list)
    leads: list[LeadRoute] = field(default_factory=list)
    onboarding: list[OnboardingState] = field(default_factory=list)
    skipped: int = 0

    def extend(self, other: Facts) -> None:
        self.activities += other.activities
        self.locations += other.locations
        self.offboarded += other.offboarded
        self.leads += other.leads
        self.onboarding += other.onboarding
        self.skipped += other.skipped


@dataclass(frozen=True, slots=True)
class BucketKey:
    location_id: str
    bucket: datetime | date
