"""The contact reconciler's rows: one per intake sub-account, holding its watermark and a lease.

A lease (owner + expiry), not a lock held in a transaction: a run waits on GHL for seconds or
minutes, and the engine ends sessions idle in a transaction after 30 s. Every write is fenced by
the owner, so a replica whose lease ran out (paused, partitioned) can no longer move the
watermark; the next owner simply redoes the window, which publishes nothing twice (the recovered
events' ids are fixed per contact).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from leadflow_common.db import transaction

ENSURE = text(
    "INSERT INTO contact_reconcile (intake_location_id)"
    " SELECT unnest(CAST(:ids AS text[])) ON CONFLICT DO NOTHING"
)
LEASE = text(
    "UPDATE contact_reconcile SET lease_owner = :owner,"
    " lease_until = now() + make_interval(secs => :ttl), updated_at = now()"
    " WHERE intake_location_id = ANY(CAST(:ids AS text[]))"
    " AND (lease_until IS NULL OR lease_until < now() OR lease_owner = :owner)"
    " RETURNING intake_location_id, reconciled_until, window_complete"
)
SAVE = text(
    "UPDATE contact_reconcile SET reconciled_until = :until, window_complete = :complete,"
    " lease_until = now() + make_interval(secs => :ttl), updated_at = now()"
    " WHERE intake_location_id = :id AND lease_owner = :owner"
)
RELEASE = text(
    "UPDATE contact_reconcile SET lease_owner = NULL, lease_until = NULL, updated_at = now()"
    " WHERE intake_location_id = :id AND lease_owner = :owner"
)
WATERMARKS = text(
    "SELECT intake_location_id, reconciled_until, window_complete FROM contact_reconcile"
    " WHERE intake_location_id = ANY(CAST(:ids AS text[]))"
)

DECIDED = text("SELECT lead_id FROM assignments WHERE lead_id = ANY(CAST(:ids AS text[]))")


@dataclass(frozen=True)
class Watermark:
    until: datetime | None  # None: the account was never reconciled
    complete: bool = True  # False: the last run stopped inside its window


class LeaseLost(RuntimeError):
    """Another replica owns the account now: stop without touching its watermark."""


class ReconcileStore:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], owner: str, lease_s: float) -> None:
        self._sessions = sessions
        self.owner = owner
        self._lease_s = lease_s

    async def lease(self, location_ids: Sequence[str]) -> dict[str, Watermark]:
        """Take the accounts nobody else holds; returns their watermarks (None: never run)."""
        if not location_ids:
            return {}
        async with transaction(self._sessions) as session:
            await session.execute(ENSURE, {"ids": list(location_ids)})
            rows = await session.execute(
                LEASE, {"ids": list(location_ids), "owner": self.owner, "ttl": self._lease_s}
            )
            return {r.intake_location_id: Watermark(r.reconciled_until, r.window_complete) for r in rows}

    async def save(self, location_id: str, mark: Watermark) -> None:
        """Move the watermark and renew the lease; raises LeaseLost if it is no longer ours."""
        async with transaction(self._sessions) as session:
            params = {"id": location_id, "owner": self.owner, "until": mark.until, "ttl": self._lease_s}
            params["complete"] = mark.complete
            result = await session.execute(SAVE, params)
            if result.rowcount != 1:  # type: ignore[attr-defined]
                raise LeaseLost(location_id)

    async def release(self, location_id: str) -> None:
        async with transaction(self._sessions) as session:
            await session.execute(RELEASE, {"id": location_id, "owner": self.owner})

    async def watermarks(self, location_ids: Sequence[str]) -> dict[str, Watermark]:
        """Read only (dry runs): every account's watermark, without taking a lease."""
        async with self._sessions() as session:
            rows = await session.execute(WATERMARKS, {"ids": list(location_ids)})
            found = {r.intake_location_id: Watermark(r.reconciled_until, r.window_complete) for r in rows}
        return {loc: found.get(loc, Watermark(None)) for loc in location_ids}

    async def decided(self, lead_ids: Sequence[str]) -> set[str]:
        """The leads among ``lead_ids`` that have a decision (assigned or in the unassigned pool)."""
        if not lead_ids:
            return set()
        async with self._sessions() as session:
            rows = await session.execute(DECIDED, {"ids": list(lead_ids)})
            return {r.lead_id for r in rows}
