"""Publishing the leads.assigned.v1 outbox (``sla_outbox``: the SLA worker, moves and the pool
re-drive write their events there in the transaction of their effect)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from leadflow_common.db import transaction
from leadflow_common.topics import LEADS_ASSIGNED
from router.adapters import sla_store as store
from router.handlers.ports import Publisher
from router.handlers.sla import OUTBOX_MODELS

BATCH = 100


async def publish_outbox(sessions: async_sessionmaker[AsyncSession], publisher: Publisher) -> int:
    """Publish unpublished rows (rows locked: each goes out once per pass; deterministic ids)."""
    async with transaction(sessions) as session:
        rows = await store.lock_unpublished(session, BATCH)
        items = []
        for row in rows:
            payload = OUTBOX_MODELS[row["event_type"]].model_validate(row["payload"])
            items.append((row["lead_id"], publisher.envelope(payload, event_id=row["event_id"])))
        await publisher.publish_many(LEADS_ASSIGNED, items)
        if rows:
            await store.mark_published(session, [r["event_id"] for r in rows])
    return len(rows)
