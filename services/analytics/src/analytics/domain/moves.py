"""A lead counts once, where its newest routing decision put it: a re-route moves the count, and
the outcomes attributed through the lead (intake-account events) move with it.

Each decision (LeadAssigned, LeadUnassigned, LeadReassigned) carries the lead's count as an
activity marked ``counts_lead``. Against the position where the lead is counted now (stored with
the lead), only a strictly newer decision, or an equally new one to another place, applies: its
count is added and the old one is subtracted from the old location's hour and day. A stale or
repeated decision changes nothing, so the outcome does not depend on order, batching or
redelivery (processed_events already stops exact repeats)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from analytics.domain.facts import Activity, lead_count


@dataclass(frozen=True, slots=True)
class CountedLead:
    """Where a lead's own count was added: location, decision time (its hour/day), score."""

    location_id: str
    at: datetime
    score: float | None


def _position(activity: Activity) -> CountedLead:
    if activity.location_id is None:  # pragma: no cover - translate gives every decision a location
        raise ValueError(f"lead count without a location: {activity.event_id}")
    return CountedLead(activity.location_id, activity.at, activity.deltas.get("score_sum"))


def _newest(counts: Iterable[Activity]) -> dict[str, Activity]:
    newest: dict[str, Activity] = {}
    for activity in counts:
        lead = activity.counts_lead
        if lead is None:  # pragma: no cover - callers pass counts only
            continue
        current = newest.get(lead)
        if current is None or activity.at >= current.at:  # ties: the later event
            newest[lead] = activity
    return newest


def uncount_id(event_id: str) -> str:
    """Id of the subtraction a decision causes (parked like any activity, so it needs one)."""
    return str(uuid.uuid5(uuid.UUID(event_id), "uncount"))


def settle_lead_counts(
    activities: Iterable[Activity], counted: Mapping[str, CountedLead]
) -> tuple[list[Activity], dict[str, CountedLead]]:
    """The activities to apply (lead counts replaced by their moves) and the new positions."""
    activities = list(activities)
    kept = [a for a in activities if a.counts_lead is None]
    moved: dict[str, CountedLead] = {}
    for lead, decision in _newest(a for a in activities if a.counts_lead is not None).items():
        new, old = _position(decision), counted.get(lead)
        if old is not None and (decision.at < old.at or new == old):
            continue  # stale or already counted there
        kept.append(decision)
        if old is not None:
            minus = {name: -value for name, value in lead_count(old.location_id, old.score).items()}
            kept.append(Activity(uncount_id(decision.event_id), old.at, minus, old.location_id))
        moved[lead] = new
    return kept, moved


@dataclass(frozen=True, slots=True)
class FollowedActivity:
    """An activity attributed through the lead (an intake-account outcome) that the lead's move
    takes along: it was counted at ``old_location`` and now belongs to ``new_location``."""

    event_id: str
    old_location: str
    new_location: str
    at: datetime
    deltas: Mapping[str, float]


def follow_lead(followed: Iterable[FollowedActivity]) -> list[Activity]:
    """Each followed activity as a subtraction where it was counted and an addition where the lead
    is now, in the activity's own hour (ids derived from the move, as parking needs them)."""
    out: list[Activity] = []
    for f in followed:
        base, move = uuid.UUID(f.event_id), f"{f.old_location}->{f.new_location}"
        minus = {name: -value for name, value in f.deltas.items()}
        out.append(Activity(str(uuid.uuid5(base, f"left:{move}")), f.at, minus, f.old_location))
        out.append(Activity(str(uuid.uuid5(base, f"joined:{move}")), f.at, dict(f.deltas), f.new_location))
    return out
