"""Attribution I/O of a batch: the directory slice, parked events, the ledger of lead-attributed events."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping

import orjson
from asyncpg import Connection

from analytics.adapters import statements as sql
from analytics.adapters.upserts import columns
from analytics.domain.attribution import Directory
from analytics.domain.facts import Activity, Facts
from analytics.domain.moves import CountedLead, FollowedActivity


async def load_directory(conn: Connection, activities: Iterable[Activity]) -> Directory:
    activities = list(activities)
    ghl_ids = sorted({a.ghl_location_id for a in activities if a.ghl_location_id})
    contacts = sorted({a.contact_id for a in activities if a.contact_id})
    direct = {a.location_id for a in activities if a.location_id}
    directory = Directory()
    if ghl_ids:
        directory.by_ghl_id = {r[0]: r[1] for r in await conn.fetch(sql.GHL_IDS, ghl_ids)}
    if contacts:
        for lead_id, location_contact_id, location_id in await conn.fetch(sql.LEADS_BY_CONTACT, contacts):
            directory.lead_locations[lead_id] = location_id
            directory.contact_leads[lead_id] = lead_id
            if location_contact_id:
                directory.lead_locations[location_contact_id] = location_id
                directory.contact_leads[location_contact_id] = lead_id
    wanted = direct | set(directory.by_ghl_id.values()) | set(directory.lead_locations.values())
    if wanted:
        directory.timezones = {r[0]: r[1] for r in await conn.fetch(sql.TIMEZONES, sorted(wanted))}
    return directory


async def load_unblocked(conn: Connection, facts: Facts) -> list[Activity]:
    """Parked events that this batch's new locations or lead routes may now attribute."""
    locations = [loc.location_id for loc in facts.locations]
    ghl_ids = [loc.ghl_location_id for loc in facts.locations if loc.ghl_location_id]
    contacts = [r.lead_id for r in facts.leads] + [
        r.location_contact_id for r in facts.leads if r.location_contact_id
    ]
    if not (locations or contacts):
        return []
    rows = await conn.fetch(sql.UNBLOCKED, locations, ghl_ids, contacts)
    return [Activity(str(r[0]), r[1], orjson.loads(r[2]), r[3], r[4], r[5]) for r in rows]


async def park(conn: Connection, activities: list[Activity]) -> None:
    if activities:
        rows = [
            (uuid.UUID(a.event_id), a.at, a.location_id, a.ghl_location_id, a.contact_id,
             orjson.dumps(dict(a.deltas)).decode())
            for a in activities
        ]  # fmt: skip
        await conn.execute(sql.PARK, *columns(rows, 6))


async def unpark(conn: Connection, event_ids: list[str]) -> None:
    if event_ids:
        await conn.execute(sql.UNPARK, [uuid.UUID(e) for e in event_ids])


async def record_lead_activities(conn: Connection, rows: list[tuple[Activity, str, str]]) -> None:
    """(activity, lead, location) of the activities attributed through a lead, for later moves."""
    if rows:
        values = [
            (uuid.UUID(a.event_id), lead, location, a.at, orjson.dumps(dict(a.deltas)).decode())
            for a, lead, location in rows
        ]
        await conn.execute(sql.LEDGER_RECORD, *columns(values, 5))


async def move_lead_activities(conn: Connection, moved: Mapping[str, CountedLead]) -> list[FollowedActivity]:
    if not moved:
        return []
    leads = sorted(moved)
    rows = await conn.fetch(sql.LEDGER_MOVE, leads, [moved[lead].location_id for lead in leads])
    return [FollowedActivity(str(r[0]), r[1], r[2], r[3], orjson.loads(r[4])) for r in rows]
