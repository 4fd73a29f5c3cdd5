"""The sync's Postgres access for a whole batch: one statement per read or write (``lead_id =
ANY(:ids)`` / ``unnest``), the same text for every batch size so it stays a cached statement."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import String, any_, bindparam, select, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from router.adapters.tables import assignments, lead_syncs
from router.handlers.sync_plan import SyncRow

_IDS = bindparam("ids", type_=ARRAY(String))
_CURRENT = select(assignments.c.lead_id, assignments.c.location_id).where(assignments.c.lead_id == any_(_IDS))
_SYNCED = select(
    lead_syncs.c.lead_id,
    lead_syncs.c.location_id,
    lead_syncs.c.ghl_location_id,
    lead_syncs.c.location_contact_id,
    lead_syncs.c.synced_at,
).where(lead_syncs.c.lead_id == any_(_IDS))
# First sync of a lead, or the sync to the location an SLA re-route moved it to; a row already at
# that location (another replica was faster) is kept as it is.
_SAVE = text(
    """
    INSERT INTO lead_syncs (lead_id, location_id, ghl_location_id, location_contact_id, synced_at)
    SELECT * FROM unnest(CAST(:lead_ids AS varchar[]), CAST(:location_ids AS varchar[]),
                         CAST(:ghl_location_ids AS varchar[]), CAST(:contact_ids AS varchar[]),
                         CAST(:synced_at AS timestamptz[]))
    ON CONFLICT (lead_id) DO UPDATE SET
        location_id = excluded.location_id,
        ghl_location_id = excluded.ghl_location_id,
        location_contact_id = excluded.location_contact_id,
        synced_at = excluded.synced_at,
        attempts = lead_syncs.attempts + 1
    WHERE lead_syncs.location_id IS DISTINCT FROM excluded.location_id
    """
)


async def current_locations(session: AsyncSession, lead_ids: Sequence[str]) -> dict[str, str | None]:
    """The assignment's location of each lead that has an assignment."""
    rows = (await session.execute(_CURRENT, {"ids": list(lead_ids)})).all()
    return {row.lead_id: row.location_id for row in rows}


async def sync_rows(session: AsyncSession, lead_ids: Sequence[str]) -> dict[str, SyncRow]:
    rows = (await session.execute(_SYNCED, {"ids": list(lead_ids)})).all()
    return {row.lead_id: SyncRow(*row) for row in rows}


async def save_syncs(session: AsyncSession, rows: Sequence[SyncRow]) -> dict[str, SyncRow]:
    """Store the syncs and return what is stored for those leads (in the same transaction)."""
    await session.execute(
        _SAVE,
        {
            "lead_ids": [r.lead_id for r in rows],
            "location_ids": [r.location_id for r in rows],
            "ghl_location_ids": [r.ghl_location_id for r in rows],
            "contact_ids": [r.location_contact_id for r in rows],
            "synced_at": [r.synced_at for r in rows],
        },
    )
    return await sync_rows(session, [r.lead_id for r in rows])
