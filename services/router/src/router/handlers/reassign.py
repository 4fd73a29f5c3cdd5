"""Moving a lead by hand: to a named location, or "auto" (the routing decision again, the current
location excluded). Also the write every move shares with the pool re-drive.

Order and why (docs/decisions/0013-unassigned-pool-and-reassignment.md): under row locks of the
lead's SLA timer and assignment (the SLA worker's order, so the two serialise), book the new slot in
Redis (reserve.lua / decide.lua, keyed ``<lead>#mv<n>``: a retried move gets the same slot), write
assignment + decision log (who, why) + timer + outbox in one transaction, and only after the commit
give the old slot back (release.lua, once per slot) and publish. A failure before the commit undoes
the booking; a crash between commit and release leaves the old slot counted, never over-booking.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from leadflow_common.db import transaction
from leadflow_common.events.leads import LeadAssigned, LeadContact, LeadReassigned
from leadflow_common.logging import get_logger
from router import metrics
from router.adapters import pool_store as store
from router.adapters import sla_store
from router.adapters.location_reserver import Booking, LocationReserver
from router.adapters.redis_decider import RedisDecider
from router.domain.capacity import capacity_date
from router.domain.geocoding import Geocode, GeocodeMethod
from router.domain.moves import (
    AUTO,
    AlreadyAssignedThere,
    LeadNotFound,
    LocationFull,
    LocationNotFound,
    LocationUnavailable,
    NoLocationAvailable,
)
from router.domain.pool import AUTO_RULE, MANUAL_RULE, miles_between
from router.domain.rules import ACTIVE, Candidate
from router.handlers.events import EVENT_NAMESPACE, route_candidates
from router.handlers.outbox import publish_outbox
from router.handlers.ports import Publisher
from router.handlers.sla import SlaTimers, utcnow

log = get_logger(__name__)
MANUAL_RATIO = 1.0  # a person may fill a location up to its full daily capacity (the head-room is theirs)


@dataclass(frozen=True, slots=True)
class Move:
    """Where a lead goes and what the decision saw."""

    location_id: str
    capacity_date: str
    distance_miles: float | None
    rule: str
    geo: Geocode
    candidates: tuple[Candidate, ...] = ()
    hours_note: str | None = None


@dataclass(frozen=True, slots=True)
class MoveResult:
    lead_id: str
    from_location_id: str | None
    move: Move
    actor: str
    why: str
    decided_at: datetime
    event_ids: tuple[uuid.UUID, uuid.UUID]

    def as_dict(self) -> dict[str, Any]:
        return {
            "lead_id": self.lead_id,
            "from_location_id": self.from_location_id,
            "location_id": self.move.location_id,
            "rule": self.move.rule,
            "capacity_date": self.move.capacity_date,
            "distance_miles": self.move.distance_miles,
            "actor": self.actor,
            "why": self.why,
            "decided_at": self.decided_at.isoformat(),
            "events": {"LeadReassigned": str(self.event_ids[0]), "LeadAssigned": str(self.event_ids[1])},
        }


def reservation_id(lead_id: str, seq: int) -> str:
    """The reservation of a lead's move number ``seq`` (its decision-log lines so far)."""
    return f"{lead_id}#mv{seq}"


def stored_geocode(row: dict[str, Any], latest: dict[str, Any] | None) -> Geocode:
    """The lead's geocode as its newest decision-log line recorded it."""
    method = GeocodeMethod((latest or {}).get("geocode_method") or row["geocode_method"])
    return Geocode(method, (latest or {}).get("lat"), (latest or {}).get("lon"), row["state"])


@dataclass
class LeadMover:
    sessions: async_sessionmaker[AsyncSession]
    decider: RedisDecider
    reserver: LocationReserver
    publisher: Publisher
    sla: SlaTimers | None = None
    clock: Callable[[], datetime] = field(default=utcnow)

    async def reassign(self, lead_id: str, to: str, actor: str, why: str) -> MoveResult:
        """Move ``lead_id`` to location ``to`` (or ``AUTO``); raises a ``MoveRefused`` when it cannot."""
        now = self.clock()
        async with transaction(self.sessions) as session:
            row, timer = await store.lock_lead(session, lead_id)
            if row is None:
                raise LeadNotFound(lead_id)
            seq = (await store.decision_counts(session, [lead_id]))[lead_id]
            geo = stored_geocode(row, await store.latest_geocode(session, lead_id))
            booking_id = reservation_id(lead_id, seq)
            if to == AUTO:
                move = await self._auto(row, geo, booking_id, now)
            else:
                move = await self._manual(session, row, geo, to, booking_id, now)
            try:
                result = await self.write(session, row, timer, move, seq, actor, why, now)
            except BaseException:
                await self.reserver.undo(booking_id, move.location_id, move.capacity_date)
                raise
        await self.release_old(row, timer, seq)
        metrics.MOVES.labels(move.rule).inc()
        await publish_outbox(self.sessions, self.publisher)
        log.info("lead_moved", lead_id=lead_id, from_location=row["location_id"],
                 to_location=move.location_id, rule=move.rule, actor=actor, why=why)  # fmt: skip
        return result

    async def _manual(self, session: AsyncSession, row: dict[str, Any], geo: Geocode, to: str,
                      booking_id: str, now: datetime) -> Move:  # fmt: skip
        location = await store.location_point(session, to)
        if location is None:
            raise LocationNotFound(to)
        if row["location_id"] == to:
            raise AlreadyAssignedThere(to)
        if location["status"] != ACTIVE:
            raise LocationUnavailable(to, location["status"])
        day = capacity_date(now, location["timezone"]).isoformat()
        distance = None
        if geo.lat is not None and geo.lon is not None and location["lat"] is not None:
            distance = round(miles_between(geo.lat, geo.lon, location["lat"], location["lon"]), 3)
        booking = await self.reserver.reserve(booking_id, to, day, MANUAL_RATIO, distance, MANUAL_RULE)
        if booking.outcome == Booking.FULL:
            raise LocationFull(to, booking.reserved, booking.daily_capacity)
        if not booking.holds_slot:
            raise LocationUnavailable(to, booking.status or "not in the routing directory")
        seen = Candidate(to, distance or 0.0, (booking.reserved or 1) - 1, booking.daily_capacity or 0,
                         ACTIVE, True, MANUAL_RULE)  # fmt: skip
        return Move(to, day, distance, MANUAL_RULE, geo, (seen,) if booking.reserved else ())

    async def _auto(self, row: dict[str, Any], geo: Geocode, booking_id: str, now: datetime) -> Move:
        current = row["location_id"]
        outcome = await self.decider.decide(booking_id, geo, row["score"], now,
                                            excluded=[current] if current else [])  # fmt: skip
        if outcome.location_id is None or outcome.capacity_date is None:
            raise NoLocationAvailable(outcome.reason)
        return Move(outcome.location_id, outcome.capacity_date, outcome.distance_miles, AUTO_RULE, geo,
                    outcome.candidates, outcome.hours_note)  # fmt: skip

    async def write(self, session: AsyncSession, row: dict[str, Any], timer: dict[str, Any] | None,
                    move: Move, seq: int, actor: str, why: str, now: datetime,
                    contact: LeadContact | None = None) -> MoveResult:  # fmt: skip
        """Assignment, decision-log line (who, why), SLA timer and both events, in ``session``."""
        lead_id = row["lead_id"]
        location = await store.location_point(session, move.location_id)
        ghl_location_id = location["ghl_location_id"] if location else None
        day = date.fromisoformat(move.capacity_date)
        moved_id = uuid.uuid5(EVENT_NAMESPACE, f"moved:{lead_id}:{seq}")
        decided_id = uuid.uuid5(EVENT_NAMESPACE, f"decided:{lead_id}:{seq}")
        await store.move_assignment(session, lead_id, {
            "location_id": move.location_id, "ghl_location_id": ghl_location_id, "rule": move.rule,
            "reason": None, "distance_miles": move.distance_miles, "capacity_date": day, "decided_at": now,
            "hours_note": move.hours_note, "geocode_method": move.geo.method.value, "state": move.geo.state,
            "score": row["score"],
        })  # fmt: skip
        await store.log_move(session, {
            "lead_id": lead_id, "event_id": decided_id, "rule": move.rule,
            "geocode_method": move.geo.method.value, "lat": move.geo.lat, "lon": move.geo.lon,
            "candidates": [asdict(c) for c in move.candidates], "timings_ms": {}, "decided_at": now,
            "hours_note": move.hours_note, "actor": actor, "why": why,
            "policy_version": self.decider.active.version,  # the routing policy in force
        })  # fmt: skip
        if self.sla is not None:
            await self._restart_timer(session, lead_id, timer, location, move.location_id, day, now)
        reason = f"{move.rule}: {why}"
        moved = LeadReassigned(lead_id=lead_id, from_location_id=row["location_id"] or "",
                               to_location_id=move.location_id, reason=reason, attempt=seq,
                               score=row["score"], decided_at=now, rule=move.rule, actor=actor)  # fmt: skip
        assigned = LeadAssigned(
            lead_id=lead_id, source_location_id=row["source_location_id"], location_id=move.location_id,
            ghl_location_id=ghl_location_id, rule=move.rule, distance_miles=move.distance_miles,
            score=row["score"], geocode_method=move.geo.method.value, capacity_date=day, decided_at=now,
            candidates=route_candidates(move.candidates),
            reasons=[f"rule {move.rule}", f"by {actor}: {why}", *filter(None, [move.hours_note])],
            contact=contact,
        )  # fmt: skip
        for event_id, payload in ((moved_id, moved), (decided_id, assigned)):
            body = payload.model_dump(mode="json")
            await sla_store.add_outbox(session, event_id, lead_id, payload.EVENT_TYPE, body)
        return MoveResult(lead_id, row["location_id"], move, actor, why, now, (moved_id, decided_id))

    async def _restart_timer(self, session: AsyncSession, lead_id: str, timer: dict[str, Any] | None,
                             location: dict[str, Any] | None, location_id: str, day: date,
                             now: datetime) -> None:  # fmt: skip
        """The SLA clock starts again at the new location; the attempt advances so the slot the
        worker would give back later has a release marker of its own."""
        assert self.sla is not None
        if timer is None:
            await self.sla.start(session, lead_id, location, location_id, day, now)
            return
        profile = location["profile"] if location else None
        await sla_store.update_timer(session, lead_id, location_id=location_id, capacity_date=day,
                                     attempt=timer["attempt"] + 1, tried=[*timer["tried"], location_id],
                                     assigned_at=now, due_at=self.sla.due_at(profile, now),
                                     status=sla_store.PENDING, worked_at=None, touch=None)  # fmt: skip

    async def release_old(self, row: dict[str, Any], timer: dict[str, Any] | None, seq: int) -> bool:
        """Give the slot the lead held before the move back, once (the SLA worker's marker when the
        lead has a timer: the same slot is then never given back twice by the two of them)."""
        old, day = row["location_id"], row["capacity_date"]
        if old is None or day is None:
            return False
        marker = (
            f"{row['lead_id']}#sla{timer['attempt']}"
            if timer is not None
            else reservation_id(row["lead_id"], seq)
        )
        return await self.decider.release(marker, old, day.isoformat())
