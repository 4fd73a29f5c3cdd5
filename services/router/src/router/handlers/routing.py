"""Routing a contact event: decide (one Redis round trip), persist, publish.

Order and why: the Redis reservation is keyed by lead id, so a crash before the Postgres commit
replays into the same slot; the decision, its log line and the processed_events row commit in
one transaction; the event is published after the commit with a deterministic id, and a
redelivered event whose decision is already stored republishes it (a crash between commit and
publish loses nothing; consumers dedupe on the event id).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from leadflow_common.db import transaction
from leadflow_common.events.envelope import Envelope
from leadflow_common.events.ghl import ContactEvent
from leadflow_common.kafka.dead_letter import ConsumedRecord
from leadflow_common.kafka.errors import PermanentError
from leadflow_common.logging import get_logger
from leadflow_common.topics import LEADS_ASSIGNED
from router import metrics
from router.adapters import postgres as pg
from router.adapters.redis_decider import RedisDecider, lead_request
from router.domain.decision import RoutingDecision
from router.domain.geocoding import Gazetteer, geocode
from router.domain.lead import Lead
from router.domain.scoring import ScoreWeights, score_lead
from router.handlers.events import assigned_event_id, decision_payload, route_candidates
from router.handlers.ports import Publisher
from router.handlers.sla import TOUCH_TYPES, SlaTimers, utcnow
from router.settings import ROUTING_GROUP, RouterSettings

log = get_logger(__name__)
ROUTABLE_TYPES = frozenset({"ContactCreate", "ContactUpdate"})
# ContactUpdates of leads decided earlier and not at a location (the unassigned pool's re-drive:
# pool.PoolRedrive.redrive_updates); the routing group hands them over after its own writes, so the
# lead's first decision is always stored by then and GHL events are read once (docs/decisions/0013)
PoolUpdates = Callable[[Sequence[tuple[Envelope, ContactEvent]]], Awaitable[int]]


def lead_from_contact(contact: ContactEvent) -> Lead:
    if not contact.id:
        raise PermanentError("contact event without an id")
    return Lead(
        lead_id=contact.id, source_location_id=contact.location_id, first_name=contact.first_name,
        last_name=contact.last_name, email=contact.email, phone=contact.phone, address1=contact.address1,
        city=contact.city, state=contact.state, postal_code=contact.postal_code, source=contact.source,
        tags=tuple(contact.tags),
    )  # fmt: skip


@dataclass
class RoutingHandler:
    settings: RouterSettings
    sessions: async_sessionmaker[AsyncSession]
    decider: RedisDecider
    gazetteer: Gazetteer
    publisher: Publisher
    weights: ScoreWeights
    sla: SlaTimers | None = None
    clock: Callable[[], datetime] = field(default=utcnow)
    # True for the GHL id of a franchise location's sub-account (the directory's): contacts there
    # are the router's own copies (or the franchise's), never leads to route again.
    is_franchise_account: Callable[[str], bool] = field(default=lambda _: False)
    pool_updates: PoolUpdates | None = None

    def routes(self, contact: ContactEvent) -> bool:
        """Route a contact of an intake sub-account; never one the router copied into a location."""
        if contact.location_id and self.is_franchise_account(contact.location_id):
            return False
        return self.settings.routes_location(contact.location_id)

    async def handle(self, record: ConsumedRecord, envelope: Envelope | None) -> None:
        if envelope is not None and self.sla is not None and envelope.event_type in TOUCH_TYPES:
            await self.sla.touch(envelope)
            return
        if envelope is None or envelope.event_type not in ROUTABLE_TYPES:
            return
        contact = ContactEvent.model_validate(envelope.payload)
        if not self.routes(contact):
            return
        lead = lead_from_contact(contact)
        async with self.sessions() as session:
            stored = await pg.assignment(session, lead.lead_id)
        if stored is not None:
            if stored["event_id"] == envelope.event_id:
                await self._publish(stored, [])  # redelivery: make sure the event went out
            elif self.pool_updates is not None and envelope.event_type == "ContactUpdate" \
                    and stored["location_id"] is None:  # fmt: skip
                await self.pool_updates([(envelope, contact)])
            return
        await self.route(lead, envelope)

    async def route(self, lead: Lead, envelope: Envelope) -> RoutingDecision:
        started = time.perf_counter()
        score = score_lead(lead, self.weights)
        geo = geocode(lead, self.gazetteer)
        geocoded = time.perf_counter()
        now = self.clock()
        request = lead_request(lead, geo, score)  # its zip (territory) and contact keys (returning)
        outcome = await self.decider.decide(lead.lead_id, geo, score, now, zip5=request.zip5,
                                            contacts=request.contacts)  # fmt: skip
        decided = time.perf_counter()
        decision = RoutingDecision(
            lead.lead_id, envelope.event_id, lead.source_location_id, score, geo, outcome, now,
            {"geocode": _ms(geocoded - started), "decide": _ms(decided - geocoded)},
        )  # fmt: skip
        async with transaction(self.sessions) as session:
            if not await pg.claim(session, ROUTING_GROUP, envelope.event_id):
                return decision
            location = await pg.location_row(session, outcome.location_id) if outcome.location_id else None
            ghl_location_id = location["ghl_location_id"] if location else None
            inserted = await pg.save_decision(session, decision, ghl_location_id)
            stored = await pg.assignment(session, lead.lead_id)
            if inserted and self.sla is not None and outcome.location_id and outcome.capacity_date:
                day = date.fromisoformat(outcome.capacity_date)
                lead_id, at = lead.lead_id, decision.decided_at
                await self.sla.start(session, lead_id, location, outcome.location_id, day, at)
        metrics.ROUTING_SECONDS.observe(time.perf_counter() - started)
        self.observe(decision)
        if stored is not None and stored["event_id"] == envelope.event_id:
            # this event's own decision: it carries the policy version (not an assignments column)
            await self._publish(stored | {"policy_version": outcome.policy_version},
                                route_candidates(outcome.candidates))  # fmt: skip
        return decision

    async def _publish(self, stored: dict[str, Any], candidates: list[Any]) -> None:
        payload = decision_payload(stored, candidates)
        envelope = self.publisher.envelope(payload, event_id=assigned_event_id(stored["lead_id"]))
        await self.publisher.publish(LEADS_ASSIGNED, stored["lead_id"], envelope)

    def observe(self, decision: RoutingDecision, log_each: bool = True) -> None:
        out = decision.outcome
        metrics.DECISIONS.labels(out.rule).inc()
        if out.hours_note and " over " in out.hours_note:
            metrics.HOURS_SWAPS.inc()
        if out.location_id is None:
            metrics.UNASSIGNED.labels(out.reason or "unknown").inc()
        else:
            chosen = next((c for c in out.candidates if c.location_id == out.location_id), None)
            if chosen is not None and chosen.daily_capacity > 0:
                utilization = (chosen.reserved + 1) / chosen.daily_capacity
                metrics.CAPACITY_UTILIZATION.labels(out.location_id).set(utilization)
        if not log_each:
            return
        log.info("lead_routed", lead_id=decision.lead_id, rule=out.rule, location_id=out.location_id,
                 reason=out.reason, geocode=decision.geocode.method.value, replayed=out.replayed,
                 hours=out.hours_note)  # fmt: skip


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 3)
