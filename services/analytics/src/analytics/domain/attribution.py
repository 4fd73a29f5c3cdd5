"""Attribution: which location an activity belongs to, given what the directory knows now."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from analytics.domain.facts import UNASSIGNED, UNASSIGNED_TIMEZONE, Activity


@dataclass(slots=True)
class Directory:
    """The part of the location and lead tables a batch needs.

    ``timezones`` holds only locations whose profile is known: an activity of any other
    location is parked until the profile arrives (its local day needs the timezone)."""

    timezones: dict[str, str] = field(default_factory=dict)
    by_ghl_id: dict[str, str] = field(default_factory=dict)
    lead_locations: dict[str, str] = field(default_factory=dict)
    contact_leads: dict[str, str] = field(default_factory=dict)  # source or synced contact id → lead

    def timezone(self, location_id: str) -> str | None:
        if location_id == UNASSIGNED:
            return UNASSIGNED_TIMEZONE
        return self.timezones.get(location_id)


def resolve(activity: Activity, directory: Directory) -> str | None:
    """The location the activity belongs to, or None while that cannot be known yet."""
    location = activity.location_id
    if location is None and activity.ghl_location_id is not None:
        location = directory.by_ghl_id.get(activity.ghl_location_id)
    if location is None and activity.contact_id is not None:
        location = directory.lead_locations.get(activity.contact_id)
    if location is None or directory.timezone(location) is None:
        return None
    return location


def attributed_lead(activity: Activity, directory: Directory) -> str | None:
    """The lead whose location the activity was attributed to (intake-account events), if any:
    such an activity follows the lead when it moves (domain/moves.py)."""
    if activity.location_id is not None:
        return None
    if activity.ghl_location_id is not None and activity.ghl_location_id in directory.by_ghl_id:
        return None
    if activity.contact_id is None or activity.contact_id not in directory.lead_locations:
        return None
    return directory.contact_leads.get(activity.contact_id)


def split_resolved(
    activities: Iterable[Activity], directory: Directory
) -> tuple[list[tuple[Activity, str]], list[Activity]]:
    """(activity, location) pairs that can be applied now, and the ones to park."""
    resolved: list[tuple[Activity, str]] = []
    parked: list[Activity] = []
    for activity in activities:
        location = resolve(activity, directory)
        if location is None:
            parked.append(activity)
        else:
            resolved.append((activity, location))
    return resolved, parked


def lead_attributed(
    resolved: Iterable[tuple[Activity, str]], directory: Directory
) -> list[tuple[Activity, str, str]]:
    """(activity, lead, location) of the resolved activities that were attributed through a lead."""
    out = []
    for activity, location in resolved:
        lead = attributed_lead(activity, directory)
        if lead is not None:
            out.append((activity, lead, location))
    return out
