"""The pool re-drive: pool leads are decided again when their reason goes away.

Triggers (docs/decisions/0013-unassigned-pool-and-reassignment.md):
- a timezone's local midnight: its locations' capacity counters start a new day → the leads unassigned
  for capacity that had one of them as a candidate;
- a location active (activated, or its capacity/radius changed) in the directory → the leads
  unassigned for capacity / range / had-it within the largest radius step of it or in its state;
- a ContactUpdate that gives a pool lead a routable address (``redrive_updates``, called by the
  routing group's handlers after they stored the batch's own decisions).
Every replica proposes the first two (``pool_triggers`` rows, one per id); a trigger is worked in
bounded batches under ``FOR UPDATE SKIP LOCKED`` (trigger and leads) with a keyset cursor, so each
lead is decided at most once per trigger, through the same decide.lua path as any lead.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from leadflow_common.db import transaction
from leadflow_common.events.envelope import Envelope
from leadflow_common.events.ghl import ContactEvent
from leadflow_common.events.leads import LeadContact
from leadflow_common.logging import get_logger
from leadflow_common.redis import AnyRedis
from router import metrics
from router.adapters import pool_store as store
from router.adapters.keys import RedisKeys
from router.adapters.redis_decider import DecideRequest
from router.domain.capacity import capacity_date
from router.domain.geocoding import geocode
from router.domain.pool import REDRIVE_RULE, TriggerKind, location_trigger, midnight_trigger
from router.domain.rules import ACTIVE, RouteOutcome
from router.domain.scoring import score_lead
from router.handlers.outbox import publish_outbox
from router.handlers.reassign import LeadMover, Move, reservation_id, stored_geocode
from router.handlers.routing import RoutingHandler, lead_from_contact
from router.handlers.routing_batch import contact_snapshot
from router.handlers.sla import utcnow
from router.pool_settings import PoolSettings

log = get_logger(__name__)
ACTOR = "pool-redrive"
CHANGE_MARGIN = timedelta(seconds=10)  # a directory row's updated_at is its transaction's start


@dataclass
class _Pending:
    row: dict[str, Any]
    request: DecideRequest
    contact: LeadContact | None = None


@dataclass
class PoolRedrive:
    settings: PoolSettings
    mover: LeadMover
    routing: RoutingHandler
    keys: RedisKeys
    redis: AnyRedis
    clock: Callable[[], datetime] = field(default=utcnow)
    # directory changes after this (Postgres time) are location triggers; starts at the process start
    _watermark: datetime = field(default_factory=utcnow)

    def __post_init__(self) -> None:
        self._watermark -= timedelta(seconds=self.settings.activation_lookback_s)

    @property
    def _radius(self) -> float:
        return max(self.routing.settings.radii_miles, default=0.0)

    async def run_once(self) -> int:
        """Propose the triggers seen now, work open ones (bounded), publish; leads routed."""
        await self.propose()
        routed = await self.drain()
        await publish_outbox(self.mover.sessions, self.mover.publisher)
        return routed

    async def propose(self) -> int:
        now, since = self.clock(), self._watermark
        async with transaction(self.mover.sessions) as session:
            zones = await store.active_by_timezone(session)
            triggers = [midnight_trigger(tz, capacity_date(now, tz).isoformat(), tuple(sorted(ids)))
                        for tz, ids in zones.items()]  # fmt: skip
            changed = await store.changed_active_locations(session, since - CHANGE_MARGIN)
            triggers += [location_trigger(c["location_id"], c["updated_at"], c["lat"], c["lon"], self._radius,
                                          c["state"]) for c in changed]  # fmt: skip
            added = await store.add_triggers(session, triggers)
        for kind in added:
            metrics.POOL_TRIGGERS.labels(kind).inc()
        self._watermark = max([since, *(c["updated_at"] for c in changed)])
        if added:
            log.info("pool_triggers_added", added=len(added))
        return len(added)

    async def drain(self) -> int:
        """Work open triggers, one batch each per transaction, until none progresses (bounded)."""
        routed = 0
        for _ in range(self.settings.max_batches):
            async with transaction(self.mover.sessions) as session:
                triggers = await store.lock_open_triggers(session, self.settings.triggers_per_batch)
                progressed = False
                for trigger in triggers:
                    worked = await self._work(session, trigger)
                    progressed |= worked is not None
                    routed += worked or 0
            if not progressed:
                break
        return routed

    async def _work(self, session: AsyncSession, trigger: dict[str, Any]) -> int | None:
        """One batch of a locked trigger; None when it has to wait (directory not applied yet)."""
        if trigger["kind"] == TriggerKind.LOCATION and not await self._in_directory(session, trigger):
            return None
        leads = await store.trigger_batch(session, trigger, self.settings.batch_size)
        pending = []
        for row in leads:
            geo = stored_geocode(row, row)
            if geo.routable:
                pending.append(_Pending(row, DecideRequest("", geo, row["score"])))
        routed = await self.redrive(session, pending, f"trigger {trigger['trigger_id']}")
        cursor = (leads[-1]["decided_at"], leads[-1]["lead_id"]) if leads else None
        done = len(leads) < self.settings.batch_size
        await store.advance_trigger(session, trigger["trigger_id"], cursor, len(leads), routed, done)
        if done:
            examined, total = trigger["examined"] + len(leads), trigger["routed"] + routed
            log.info("pool_trigger_done", trigger_id=trigger["trigger_id"], examined=examined, routed=total)
        return routed

    async def _in_directory(self, session: AsyncSession, trigger: dict[str, Any]) -> bool:
        """A location trigger waits until the Redis directory has the location active (the
        directory consumer writes Postgres first); a location no longer active closes it."""
        (location_id,) = trigger["location_ids"]
        status = await self.redis.hget(self.keys.location(location_id), "status")
        if status is not None and (status.decode() if isinstance(status, bytes) else status) == ACTIVE:
            return True
        row = await store.location_point(session, location_id)
        if row is None or row["status"] != ACTIVE:
            await store.advance_trigger(session, trigger["trigger_id"], None, 0, 0, done=True)
        return False

    async def redrive(self, session: AsyncSession, pending: Sequence[_Pending], why: str) -> int:
        """Decide the locked pool leads again (one pipeline); move those that found a location."""
        if not pending:
            return 0
        now = self.clock()
        seqs = await store.decision_counts(session, [p.row["lead_id"] for p in pending])
        requests = [DecideRequest(reservation_id(p.row["lead_id"], seqs[p.row["lead_id"]]), p.request.geo,
                                  p.request.score) for p in pending]  # fmt: skip
        outcomes = await self.mover.decider.decide_many(requests, now)
        booked: list[tuple[str, RouteOutcome]] = []
        try:
            for p, request, outcome in zip(pending, requests, outcomes, strict=True):
                if outcome.location_id is None or outcome.capacity_date is None:
                    continue
                booked.append((request.lead_id, outcome))
                move = Move(outcome.location_id, outcome.capacity_date, outcome.distance_miles, REDRIVE_RULE,
                            request.geo, outcome.candidates, outcome.hours_note)  # fmt: skip
                row = {**p.row, "score": request.score}
                await self.mover.write(
                    session, row, None, move, seqs[row["lead_id"]], ACTOR, why, now, p.contact
                )
        except BaseException:
            for booking_id, outcome in booked:
                assert outcome.location_id is not None and outcome.capacity_date is not None
                await self.mover.reserver.undo(booking_id, outcome.location_id, outcome.capacity_date)
            raise
        metrics.MOVES.labels(REDRIVE_RULE).inc(len(booked))
        if booked:
            log.info("pool_redriven", routed=len(booked), examined=len(pending), why=why)
        return len(booked)

    async def redrive_updates(self, updates: Sequence[tuple[Envelope, ContactEvent]]) -> int:
        """ContactUpdates of leads decided earlier and not at a location, handed over by the
        routing group after its own writes (so the lead's first decision is stored): a pool lead
        whose contact now geocodes is decided again. No query unless an update geocodes."""
        routable: dict[str, tuple[LeadContact, DecideRequest]] = {}
        for _, contact in updates:
            lead = lead_from_contact(contact)
            geo = geocode(lead, self.routing.gazetteer)
            if geo.routable:  # the newest update of a lead wins
                snapshot = LeadContact.model_validate(contact_snapshot(contact))
                request = DecideRequest("", geo, score_lead(lead, self.routing.weights))
                routable[lead.lead_id] = (snapshot, request)
        if not routable:
            return 0
        async with transaction(self.mover.sessions) as session:
            pending = [_Pending(row, routable[row["lead_id"]][1], routable[row["lead_id"]][0])
                       for row in await store.pool_leads(session, list(routable))]  # fmt: skip
            routed = await self.redrive(session, pending, "address added by a ContactUpdate")
        if routed:
            await publish_outbox(self.mover.sessions, self.mover.publisher)
        return routed
