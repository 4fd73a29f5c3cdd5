"""A generated event stream over the four analytics topics and its hand-computed projections.

The expectation is a straightforward recount from what the generator knows (who owns each lead),
independent of the service's attribution code."""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from leadflow_common.events import (
    Envelope,
    LeadAssigned,
    LeadReassigned,
    LeadSynced,
    LeadUnassigned,
    LocationActivated,
    LocationProfile,
    LocationStatus,
)
from leadflow_common.topics import GHL_EVENTS, LEADS_ASSIGNED, LOCATIONS, ONBOARDING_EVENTS

UNASSIGNED = "_UNASSIGNED"
INTAKE = "ghl-intake"
START = datetime(2026, 3, 1, 12, tzinfo=UTC)
TIMEZONES = ("America/New_York", "America/Chicago", "America/Los_Angeles", "America/Denver")
REGIONS = ("east", "central", "west")
STATES = ("NY", "TX", "CA", "CO")


@dataclass(frozen=True)
class Item:
    topic: str
    key: str
    envelope: Envelope | None


@dataclass
class Stream:
    items: list[Item] = field(default_factory=list)
    hourly: dict[tuple[str, datetime], dict[str, float]] = field(default_factory=dict)
    daily: dict[tuple[str, date], dict[str, float]] = field(default_factory=dict)
    timezones: dict[str, str] = field(default_factory=dict)
    locations: list[LocationProfile] = field(default_factory=list)

    def count(self, location: str, at: datetime, **deltas: float) -> None:
        tz = self.timezones.get(location, "UTC")
        hour = at.replace(minute=0, second=0, microsecond=0)
        day = at.astimezone(ZoneInfo(tz)).date()
        for bucket in (
            self.hourly.setdefault((location, hour), {}),
            self.daily.setdefault((location, day), {}),
        ):
            for name, value in deltas.items():
                bucket[name] = bucket.get(name, 0.0) + value


def stream_start(seed: int) -> datetime:
    """Each seed gets its own week, so tests sharing the session's topics do not overlap in time."""
    return START + timedelta(days=7 * seed)


def window(seed: int) -> dict[str, str]:
    start = stream_start(seed)
    return {"from": (start - timedelta(days=2)).isoformat(), "to": (start + timedelta(days=5)).isoformat()}


def profile(prefix: str, n: int, capacity: int = 20) -> LocationProfile:
    return LocationProfile(
        location_id=f"{prefix}-{n:04d}",
        ghl_location_id=f"ghl-{prefix}-{n}",
        name=f"Fitness {prefix} {n}",
        franchise_code=f"{prefix}-{n:04d}",
        status=LocationStatus.ACTIVE,
        timezone=TIMEZONES[n % len(TIMEZONES)],
        daily_capacity=capacity,
        region=REGIONS[n % len(REGIONS)],
        state=STATES[n % len(STATES)],
        updated_at=START - timedelta(days=1),
    )


def ghl(event_type: str, at: datetime, body: Mapping[str, object]) -> Envelope:
    return Envelope(
        event_type=event_type, source="ingest", occurred_at=at, payload={"type": event_type, **body}
    )


def generate(
    seed: int,
    n_locations: int = 4,
    n_leads: int = 60,
    prefix: str | None = None,
    tag: str = "",
    reassign_rate: float = 0.15,
) -> Stream:
    """Locations, leads routed to them (some unassigned, some re-routed by the SLA), syncs,
    opportunity outcomes and appointments from both the intake account and the locations'
    sub-accounts, unknown types."""
    rnd = random.Random(f"{seed}{tag}")
    prefix = prefix or f"S{seed}"
    begin = stream_start(seed)
    stream = Stream()
    for n in range(1, n_locations + 1):
        p = profile(prefix, n)
        stream.locations.append(p)
        stream.timezones[p.location_id] = p.timezone
        stream.items.append(Item(LOCATIONS.name, p.location_id, Envelope.wrap(p, source="onboarding")))
        activated = LocationActivated(
            location_id=p.location_id,
            ghl_location_id=p.ghl_location_id or "",
            name=p.name,
            daily_capacity=20,
            activated_at=START - timedelta(days=1),
        )
        stream.items.append(
            Item(ONBOARDING_EVENTS.name, p.location_id, Envelope.wrap(activated, source="onboarding"))
        )
    for i in range(n_leads):
        lead = f"lead-{seed}{tag}-{i}"
        decided = begin + timedelta(minutes=rnd.randrange(0, 60 * 48))
        score = float(rnd.randrange(10, 100))
        n = rnd.randrange(0, n_locations + 1)
        owner = f"{prefix}-{n:04d}" if n else UNASSIGNED
        ghl_id = f"ghl-{prefix}-{n}"
        if n:
            assigned = LeadAssigned(
                lead_id=lead,
                source_location_id=INTAKE,
                location_id=owner,
                ghl_location_id=ghl_id,
                rule="nearest",
                score=score,
                geocode_method="zip",
                capacity_date=decided.date(),
                decided_at=decided,
            )
            stream.items.append(Item(LEADS_ASSIGNED.name, lead, Envelope.wrap(assigned, source="router")))
            synced_at = decided + timedelta(minutes=1)
            synced = LeadSynced(
                lead_id=lead,
                location_id=owner,
                ghl_location_id=ghl_id,
                location_contact_id=f"lc-{lead}",
                synced_at=synced_at,
            )
            stream.items.append(Item(LEADS_ASSIGNED.name, lead, Envelope.wrap(synced, source="router")))
            stream.count(owner, synced_at, synced=1)
            if n_locations > 1 and rnd.random() < reassign_rate:
                n, decided = _reroute(stream, lead, owner, decided, score, n_locations, prefix, rnd)
                owner, ghl_id = f"{prefix}-{n:04d}", f"ghl-{prefix}-{n}"
            stream.count(owner, decided, leads=1, score_sum=score)  # once, where the lead ends up
        else:
            unassigned = LeadUnassigned(
                lead_id=lead,
                source_location_id=INTAKE,
                reason="no_capacity",
                score=score,
                geocode_method="zip",
                decided_at=decided,
            )
            stream.items.append(Item(LEADS_ASSIGNED.name, lead, Envelope.wrap(unassigned, source="router")))
            stream.count(owner, decided, unassigned=1)
        # a re-routed lead's outcomes come from its new sub-account or the intake account: either
        # way they count where the lead ends up, whatever order they are applied in
        from_location = n and rnd.random() < 0.5
        account, contact = (ghl_id, f"lc-{lead}") if from_location else (INTAKE, lead)
        _outcomes(stream, rnd, lead, owner, account, contact, decided + timedelta(hours=rnd.randrange(1, 30)))
    return stream


def _outcomes(
    stream: Stream, rnd: random.Random, lead: str, owner: str, account: str, contact: str, at: datetime
) -> None:
    """Opportunity outcomes, appointments and an unknown type from ``account`` about ``contact``."""
    outcome = rnd.choice(("won", "lost", "open", None))
    if outcome:
        body: dict[str, object] = {
            "locationId": account,
            "id": f"opp-{lead}",
            "contactId": contact,
            "status": outcome,
        }
        stream.items.append(Item(GHL_EVENTS.name, contact, ghl("OpportunityStatusUpdate", at, body)))
        if outcome in ("won", "lost"):
            stream.count(owner, at, **{outcome: 1})
    if rnd.random() < 0.4:
        body = {
            "locationId": account,
            "appointment": {"id": f"apt-{lead}", "contactId": contact},
        }
        stream.items.append(Item(GHL_EVENTS.name, contact, ghl("AppointmentCreate", at, body)))
        stream.count(owner, at, appointments=1)
    if rnd.random() < 0.1:
        body = {"locationId": account, "id": f"note-{lead}"}
        stream.items.append(Item(GHL_EVENTS.name, contact, ghl("NoteCreate", at, body)))


def _reroute(
    stream: Stream,
    lead: str,
    owner: str,
    decided: datetime,
    score: float,
    n_locations: int,
    prefix: str,
    rnd: random.Random,
) -> tuple[int, datetime]:
    """The router's SLA re-route: LeadReassigned, then LeadAssigned at the new location (the
    breach and the reassignment count where the lead left)."""
    n = rnd.choice([k for k in range(1, n_locations + 1) if f"{prefix}-{k:04d}" != owner])
    at = decided + timedelta(minutes=rnd.randrange(16, 90))
    target = f"{prefix}-{n:04d}"
    moved = LeadReassigned(
        lead_id=lead,
        from_location_id=owner,
        to_location_id=target,
        reason="sla_breach: not worked within 15 business minutes",
        attempt=1,
        score=score,
        decided_at=at,
    )
    stream.items.append(Item(LEADS_ASSIGNED.name, lead, Envelope.wrap(moved, source="router")))
    stream.count(owner, at, sla_breaches=1, reassignments=1)
    again = LeadAssigned(
        lead_id=lead,
        source_location_id=INTAKE,
        location_id=target,
        ghl_location_id=f"ghl-{prefix}-{n}",
        rule="sla_reassign",
        score=score,
        geocode_method="zip",
        capacity_date=at.date(),
        decided_at=at,
    )
    stream.items.append(Item(LEADS_ASSIGNED.name, lead, Envelope.wrap(again, source="router")))
    return n, at


def shuffled_with_duplicates(stream: Stream, seed: int, duplicate_rate: float = 0.2) -> list[Item]:
    """Any order across topics and keys (worse than Kafka's per-key order), with redeliveries."""
    rnd = random.Random(seed)
    items = list(stream.items)
    items += [i for i in stream.items if rnd.random() < duplicate_rate]
    rnd.shuffle(items)
    return items


def only(
    rows: dict[tuple[str, object], dict[str, float]], prefix: str
) -> dict[tuple[str, object], dict[str, float]]:
    """The rows of one stream's locations (the session's topics carry other tests' streams too)."""
    return {k: v for k, v in rows.items() if k[0].startswith(prefix + "-")}


def without_zeros(
    rows: dict[tuple[str, object], dict[str, float]],
) -> dict[tuple[str, object], dict[str, float]]:
    return {k: {n: v for n, v in c.items() if v} for k, c in rows.items() if any(c.values())}
