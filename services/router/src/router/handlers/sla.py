"""Speed-to-lead SLA: a timer per assigned lead, cancelled by its first touch, else a re-route.

Timers are rows of ``router.sla_timers`` (due time in business minutes of the assigned location).
Any router replica polls them with ``FOR UPDATE SKIP LOCKED``: a due timer is fired by exactly one
transaction, which reserves the next location (Redis, keyed ``<lead>#sla<attempt>`` so a retried
transaction gets the same slot), releases the previous slot once (keyed the same way), moves the
assignment, re-arms the timer and writes the events to ``sla_outbox`` — all committed together.
The outbox is published after the commit with deterministic event ids (a crash re-publishes).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from leadflow_common.db import transaction
from leadflow_common.events.envelope import Envelope, EventPayload
from leadflow_common.events.ghl import AppointmentEvent, MessageEvent, OpportunityEvent, parse_ghl_event
from leadflow_common.events.leads import LeadAssigned, LeadReassigned, LeadWorked
from leadflow_common.logging import get_logger
from leadflow_common.topics import LEADS_ASSIGNED
from router import metrics
from router.adapters import postgres as pg
from router.adapters import sla_store as store
from router.adapters.redis_decider import RedisDecider
from router.domain.geocoding import Geocode, GeocodeMethod
from router.domain.hours import WeeklyHours, add_business_minutes
from router.handlers.events import EVENT_NAMESPACE, route_candidates
from router.handlers.ports import Publisher
from router.profile_hours import profile_hours
from router.settings import RouterSettings

log = get_logger(__name__)
SLA_RULE = "sla_reassign"
TOUCH_TYPES = frozenset(
    {"OutboundMessage", "AppointmentCreate", "OpportunityStageUpdate", "OpportunityStatusUpdate"}
)
OUTBOX_MODELS: dict[str, type[EventPayload]] = {
    m.EVENT_TYPE: m for m in (LeadAssigned, LeadReassigned, LeadWorked)
}


def touched_contact(envelope: Envelope) -> str | None:
    """The contact a qualifying GHL event works, or None (inbound messages are not a touch)."""
    event = parse_ghl_event(envelope.payload)
    if isinstance(event, MessageEvent) and event.type == "OutboundMessage":
        return event.contact_id
    if isinstance(event, AppointmentEvent):
        return event.appointment.contact_id
    if isinstance(event, OpportunityEvent):
        return event.contact_id
    return None


def sla_event_id(kind: str, lead_id: str, attempt: int) -> uuid.UUID:
    return uuid.uuid5(EVENT_NAMESPACE, f"{kind}:{lead_id}:{attempt}")


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class SlaTimers:
    settings: RouterSettings
    sessions: async_sessionmaker[AsyncSession]
    decider: RedisDecider
    publisher: Publisher
    clock: Callable[[], datetime] = field(default=utcnow)

    def due_at(self, profile: dict[str, Any] | None, start: datetime) -> datetime:
        hours, tz = profile_hours(profile)
        return self.due_at_for(hours, tz, (profile or {}).get("region"), start)

    def due_at_for(self, hours: WeeklyHours | None, timezone: str | None, region: str | None,
                   start: datetime) -> datetime:  # fmt: skip
        """Due time in the location's business minutes (no hours known = always open)."""
        default_hours, default_tz = profile_hours(None)
        return add_business_minutes(hours or default_hours, timezone or default_tz, start,
                                    self.settings.sla_minutes_for(region))  # fmt: skip

    async def start(
        self,
        session: AsyncSession,
        lead_id: str,
        location: dict[str, Any] | None,
        location_id: str,
        capacity_date: date,
        assigned_at: datetime,
    ) -> None:
        """Arm the timer in the assignment's transaction (a replay arms nothing twice)."""
        profile = location["profile"] if location else None
        await store.start_timer(
            session,
            {
                "lead_id": lead_id,
                "location_id": location_id,
                "capacity_date": capacity_date,
                "attempt": 0,
                "tried": [location_id],
                "assigned_at": assigned_at,
                "due_at": self.due_at(profile, assigned_at),
            },
        )

    async def touch(self, envelope: Envelope) -> bool:
        """Cancel the lead's timer on its first qualifying event; True when this event did."""
        contact_id = touched_contact(envelope)
        if not contact_id:
            return False
        async with transaction(self.sessions) as session:
            lead_id = await store.lead_for_contact(session, contact_id)
            if lead_id is None:
                return False
            row = await store.mark_worked(session, lead_id, envelope.occurred_at, envelope.event_type)
            if row is None:
                return False
            worked = LeadWorked(
                lead_id=row["lead_id"],
                location_id=row["location_id"],
                assigned_at=row["assigned_at"],
                worked_at=envelope.occurred_at,
                touch=envelope.event_type,
                within_sla=envelope.occurred_at <= row["due_at"],
            )
            await self._outbox(session, sla_event_id("worked", row["lead_id"], row["attempt"]), worked)
        metrics.SLA_OUTCOMES.labels("worked").inc()
        log.info(
            "lead_worked", lead_id=row["lead_id"], location_id=row["location_id"], touch=envelope.event_type
        )
        await self.publish_outbox()
        return True

    async def run_once(self) -> int:
        """One poll: fire due timers, then publish what an earlier crash left in the outbox."""
        fired = await self.fire_due()
        await self.publish_outbox()
        return fired

    async def fire_due(self) -> int:
        """Fire every due timer this replica can lock; returns how many it fired."""
        now = self.clock()
        async with transaction(self.sessions) as session:
            rows = await store.lock_due(session, now, self.settings.sla_batch_size)
            for row in rows:
                await self._breach(session, row, now)
        if rows:
            await self.publish_outbox()
        return len(rows)

    async def _breach(self, session: AsyncSession, timer: dict[str, Any], now: datetime) -> None:
        lead_id, attempt, old = timer["lead_id"], timer["attempt"], timer["location_id"]
        assignment = await pg.assignment(session, lead_id)
        if assignment is None or attempt >= self.settings.sla_max_reassignments:
            await store.update_timer(session, lead_id, status=store.BREACHED)
            metrics.SLA_OUTCOMES.labels("breached_kept").inc()
            log.warning("sla_breached_kept", lead_id=lead_id, location_id=old, attempt=attempt)
            return
        geo = await self._geocode(session, lead_id, assignment)
        outcome = await self.decider.decide(
            f"{lead_id}#sla{attempt + 1}", geo, assignment["score"], now, excluded=timer["tried"]
        )
        if outcome.location_id is None or outcome.capacity_date is None:
            await store.update_timer(session, lead_id, status=store.BREACHED)
            metrics.SLA_OUTCOMES.labels("breached_no_location").inc()
            log.warning("sla_breached_no_location", lead_id=lead_id, location_id=old, reason=outcome.reason)
            return
        await self.decider.release(f"{lead_id}#sla{attempt}", old, timer["capacity_date"].isoformat())
        new = outcome.location_id
        location = await pg.location_row(session, new)
        day = date.fromisoformat(outcome.capacity_date)
        await store.move_assignment(
            session,
            lead_id,
            location_id=new,
            capacity_date=day,
            rule=SLA_RULE,
            distance_miles=outcome.distance_miles,
            decided_at=now,
            ghl_location_id=location["ghl_location_id"] if location else None,
        )
        await store.update_timer(
            session,
            lead_id,
            location_id=new,
            capacity_date=day,
            attempt=attempt + 1,
            tried=[*timer["tried"], new],
            assigned_at=now,
            due_at=self.due_at(location["profile"] if location else None, now),
        )
        old_row = await pg.location_row(session, old)
        minutes = self.settings.sla_minutes_for((old_row or {}).get("profile", {}).get("region"))
        reason = f"sla_breach: not worked within {minutes:g} business minutes at {old}"
        moved = LeadReassigned(
            lead_id=lead_id,
            from_location_id=old,
            to_location_id=new,
            reason=reason,
            attempt=attempt + 1,
            score=assignment["score"],
            decided_at=now,
        )
        await self._outbox(session, sla_event_id("reassigned", lead_id, attempt + 1), moved)
        assigned = LeadAssigned(
            lead_id=lead_id,
            source_location_id=assignment["source_location_id"],
            location_id=new,
            ghl_location_id=location["ghl_location_id"] if location else None,
            rule=SLA_RULE,
            distance_miles=outcome.distance_miles,
            score=assignment["score"],
            geocode_method=assignment["geocode_method"],
            capacity_date=day,
            decided_at=now,
            candidates=route_candidates(outcome.candidates),
            reasons=[
                reason,
                f"re-route {attempt + 1} of at most {self.settings.sla_max_reassignments}",
                *([outcome.hours_note] if outcome.hours_note else []),
            ],
        )
        decided_id = sla_event_id("decided", lead_id, attempt + 1)
        await store.log_reroute(session, lead_id, decided_id, SLA_RULE, geo, outcome, now)
        await self._outbox(session, decided_id, assigned)
        metrics.SLA_OUTCOMES.labels("reassigned").inc()
        log.warning(
            "sla_reassigned", lead_id=lead_id, from_location=old, to_location=new, attempt=attempt + 1
        )

    async def _geocode(self, session: AsyncSession, lead_id: str, assignment: dict[str, Any]) -> Geocode:
        logs = await pg.decision_logs(session, lead_id)
        first = logs[0] if logs else {}
        method = GeocodeMethod(first.get("geocode_method", assignment["geocode_method"]))
        return Geocode(method, first.get("lat"), first.get("lon"), assignment["state"])

    async def _outbox(
        self, session: AsyncSession, event_id: uuid.UUID, payload: LeadAssigned | LeadReassigned | LeadWorked
    ) -> None:
        body = payload.model_dump(mode="json")
        await store.add_outbox(session, event_id, payload.lead_id, payload.EVENT_TYPE, body)

    async def publish_outbox(self) -> int:
        """Publish unpublished outbox rows (any replica; rows locked so each goes out once per pass)."""
        async with transaction(self.sessions) as session:
            rows = await store.lock_unpublished(session, 100)
            for row in rows:
                payload = OUTBOX_MODELS[row["event_type"]].model_validate(row["payload"])
                envelope = self.publisher.envelope(payload, event_id=row["event_id"])
                await self.publisher.publish(LEADS_ASSIGNED, row["lead_id"], envelope)
            if rows:
                await store.mark_published(session, [r["event_id"] for r in rows])
        return len(rows)
