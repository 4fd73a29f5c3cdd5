"""Reads the batch needs for attribution: the directory slice and the parked events it unblocks."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete, or_, select, union
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from analytics.adapters.tables import leads, location_status, pending_events
from analytics.domain.attribution import Directory
from analytics.domain.facts import Activity, Facts


async def load_directory(session: AsyncSession, activities: Iterable[Activity]) -> Directory:
    ghl_ids = {a.ghl_location_id for a in activities if a.ghl_location_id}
    contacts = {a.contact_id for a in activities if a.contact_id}
    direct = {a.location_id for a in activities if a.location_id}
    directory = Directory()
    if ghl_ids:
        rows = await session.execute(
            select(location_status.c.ghl_location_id, location_status.c.location_id).where(
                location_status.c.ghl_location_id.in_(ghl_ids)
            )
        )
        directory.by_ghl_id = {g: loc for g, loc in rows.all()}
    if contacts:
        lead_rows = await session.execute(
            select(leads.c.lead_id, leads.c.location_contact_id, leads.c.location_id).where(
                or_(leads.c.lead_id.in_(contacts), leads.c.location_contact_id.in_(contacts)),
                leads.c.location_id.is_not(None),
            )
        )
        for lead_id, location_contact_id, location_id in lead_rows.all():
            directory.lead_locations[lead_id] = location_id
            if location_contact_id:
                directory.lead_locations[location_contact_id] = location_id
    wanted = direct | set(directory.by_ghl_id.values()) | set(directory.lead_locations.values())
    if wanted:
        rows = await session.execute(
            select(location_status.c.location_id, location_status.c.timezone).where(
                location_status.c.location_id.in_(wanted), location_status.c.timezone.is_not(None)
            )
        )
        directory.timezones = {loc: tz for loc, tz in rows.all()}
    return directory


async def load_unblocked(session: AsyncSession, facts: Facts) -> list[Activity]:
    """Parked events that this batch's new locations or lead routes may now attribute."""
    locations = [loc.location_id for loc in facts.locations]
    ghl_ids = [loc.ghl_location_id for loc in facts.locations if loc.ghl_location_id]
    contacts = [r.lead_id for r in facts.leads] + [
        r.location_contact_id for r in facts.leads if r.location_contact_id
    ]
    if not (locations or contacts):
        return []
    p = pending_events.c
    conditions = [p.location_id.in_(locations), p.ghl_location_id.in_(ghl_ids), p.contact_id.in_(contacts)]
    if locations:
        routed = union(
            select(leads.c.lead_id).where(leads.c.location_id.in_(locations)),
            select(leads.c.location_contact_id).where(leads.c.location_id.in_(locations)),
        )
        conditions.append(p.contact_id.in_(routed))
    rows = await session.execute(select(pending_events).where(or_(*conditions)))
    return [
        Activity(
            str(r.event_id), r.occurred_at, dict(r.deltas), r.location_id, r.ghl_location_id, r.contact_id
        )
        for r in rows.all()
    ]


async def park(session: AsyncSession, activities: list[Activity]) -> None:
    if not activities:
        return
    rows = [
        {
            "event_id": a.event_id,
            "occurred_at": a.at,
            "location_id": a.location_id,
            "ghl_location_id": a.ghl_location_id,
            "contact_id": a.contact_id,
            "deltas": dict(a.deltas),
        }
        for a in activities
    ]
    await session.execute(insert(pending_events).on_conflict_do_nothing(), rows)


async def unpark(session: AsyncSession, event_ids: list[str]) -> None:
    if event_ids:
        await session.execute(delete(pending_events).where(pending_events.c.event_id.in_(event_ids)))
