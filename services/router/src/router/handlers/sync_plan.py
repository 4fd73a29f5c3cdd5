"""What the sync does with a batch of LeadAssigned events (pure): the last event per lead wins,
events an SLA re-route has overtaken are dropped, leads already synced there are only confirmed."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from leadflow_common.events.leads import LeadAssigned


@dataclass(frozen=True)
class SyncRow:
    """A ``lead_syncs`` row: where the lead's contact was put in GHL."""

    lead_id: str
    location_id: str
    ghl_location_id: str
    location_contact_id: str
    synced_at: datetime


@dataclass
class SyncPlan:
    apply: list[LeadAssigned] = field(default_factory=list)  # copy into the location's sub-account
    done: list[tuple[LeadAssigned, SyncRow]] = field(default_factory=list)  # synced before: confirm
    stale: list[LeadAssigned] = field(default_factory=list)  # the lead has moved on since
    no_ghl_location: list[LeadAssigned] = field(default_factory=list)  # nothing to sync to


def latest_per_lead(events: Iterable[LeadAssigned]) -> list[LeadAssigned]:
    """One event per lead, the last of the batch (a later one supersedes: an SLA re-route)."""
    latest: dict[str, LeadAssigned] = {}
    for event in events:
        latest.pop(event.lead_id, None)  # keep the order of the last occurrences
        latest[event.lead_id] = event
    return list(latest.values())


def plan_syncs(
    events: Iterable[LeadAssigned],
    current_location: Mapping[str, str | None],
    synced: Mapping[str, SyncRow],
) -> SyncPlan:
    """``current_location``: the assignment's location per lead (leads without one are absent);
    ``synced``: the stored sync per lead."""
    plan = SyncPlan()
    for event in latest_per_lead(events):
        if not event.ghl_location_id or not event.source_location_id:
            plan.no_ghl_location.append(event)
        elif event.lead_id in current_location and current_location[event.lead_id] != event.location_id:
            plan.stale.append(event)
        elif (row := synced.get(event.lead_id)) is not None and row.location_id == event.location_id:
            plan.done.append((event, row))
        else:
            plan.apply.append(event)
    return plan
