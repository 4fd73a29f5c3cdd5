"""The business-hours rule: within a distance band, prefer the location that can work the lead soonest.

"Soonest" is the instant its SLA would expire there (``sla_minutes`` business minutes from now), so
a location open now and staying open beats one closing in five minutes, and among closed ones the
one opening first wins. The script picks by distance and remaining capacity; this re-ranks only the
eligible candidates of the step that fired within ``band_miles`` of the nearest of them, so hours
never pull a lead into a farther radius step. Ties keep the script's choice.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from enum import StrEnum

from router.domain.hours import WeeklyHours, add_business_minutes, minutes_until_open
from router.domain.rules import Candidate


class HoursRule(StrEnum):
    PREFER_OPEN = "prefer_open"
    IGNORE = "ignore"


def with_open_state(
    candidates: tuple[Candidate, ...],
    hours: Mapping[str, tuple[WeeklyHours, str]],
    now: datetime,
    sla_minutes: float = 15.0,
    only: set[str] | None = None,
) -> tuple[Candidate, ...]:
    """Fill ``open_now`` / ``opens_in_minutes`` / ``sla_due_in_minutes`` of the candidates whose hours
    are known (of ``only`` these: the others cannot be picked, their hours would only cost time)."""
    out = []
    for c in candidates:
        known = hours.get(c.location_id)
        if known is None or (only is not None and c.location_id not in only):
            out.append(c)
            continue
        wait = minutes_until_open(known[0], known[1], now)
        due = (add_business_minutes(known[0], known[1], now, sla_minutes) - now).total_seconds() / 60
        out.append(
            replace(
                c,
                open_now=wait == 0,
                opens_in_minutes=None if wait is None else round(wait, 1),
                sla_due_in_minutes=round(due, 1),
            )
        )
    return tuple(out)


def band(candidates: tuple[Candidate, ...], chosen_id: str, band_miles: float) -> list[Candidate]:
    """The eligible candidates of the chosen one's step within ``band_miles`` of the nearest."""
    chosen = next(c for c in candidates if c.location_id == chosen_id)
    same_step = [c for c in candidates if c.eligible and c.step == chosen.step]
    nearest = min(c.distance_miles for c in same_step)
    return [c for c in same_step if c.distance_miles <= nearest + band_miles]


def prefer_open(candidates: tuple[Candidate, ...], chosen_id: str, band_miles: float) -> Candidate:
    """The candidate to book instead of ``chosen_id`` (or the chosen one itself)."""
    in_band = band(candidates, chosen_id, band_miles)

    def key(c: Candidate) -> tuple[float, int, float, str]:
        due = math.inf if c.sla_due_in_minutes is None else c.sla_due_in_minutes
        return (due, 0 if c.location_id == chosen_id else 1, c.distance_miles, c.location_id)

    return min(in_band, key=key)


def hours_note(picked: Candidate, chosen_id: str) -> str:
    if picked.open_now:
        state = "open now"
        if picked.sla_due_in_minutes is not None:
            state += f", SLA due in {picked.sla_due_in_minutes:g} min"
    elif picked.opens_in_minutes is None:
        state = "hours unknown or closed for two weeks"
    else:
        state = f"opens in {picked.opens_in_minutes:g} min"
    if picked.location_id == chosen_id:
        return f"hours: {picked.location_id} kept ({state})"
    return f"hours: preferred {picked.location_id} ({state}) over {chosen_id} in the same distance band"
