"""A complete routing decision for one lead: what was decided, from what, and how long it took."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from router.domain.geocoding import Geocode
from router.domain.rules import RouteOutcome


@dataclass(frozen=True, slots=True)
class RoutingDecision:
    lead_id: str
    event_id: uuid.UUID
    source_location_id: str | None
    score: float
    geocode: Geocode
    outcome: RouteOutcome
    decided_at: datetime
    timings_ms: dict[str, float] = field(default_factory=dict)
