"""Routing a batch of contact events: one query for redeliveries, one Redis pipeline of atomic
decisions, one transaction of set-based writes, every LeadAssigned sent before any ack is awaited.

Same guarantees as the record path (routing.py), per lead: the Redis reservation is keyed by
lead id, so a batch retried after a crash re-reads the same bookings; claim, assignment, decision
log and SLA timer commit together; events go out after the commit with deterministic ids, and a
redelivered event whose decision is stored republishes it. Offsets are committed only after the
acks (the consumer engine), so a crash anywhere repeats part of a batch with one effect per lead.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from leadflow_common.events.envelope import Envelope, OutgoingEvent
from leadflow_common.events.ghl import ContactEvent
from leadflow_common.events.leads import LeadContact
from leadflow_common.kafka.dead_letter import ConsumedRecord
from leadflow_common.logging import get_logger
from leadflow_common.topics import LEADS_ASSIGNED
from router import metrics
from router.adapters import batch_store
from router.adapters.location_cache import LocationCache
from router.adapters.redis_decider import lead_request
from router.domain.decision import RoutingDecision
from router.domain.geocoding import geocode
from router.domain.lead import Lead
from router.domain.scoring import score_lead
from router.handlers.events import assigned_event_id, candidate_dicts, decision_event
from router.handlers.routing import ROUTABLE_TYPES, RoutingHandler, lead_from_contact
from router.handlers.sla import TOUCH_TYPES
from router.settings import ROUTING_GROUP

log = get_logger(__name__)
CONTACT_FIELDS = frozenset(LeadContact.model_fields)


@dataclass
class _Arrival:
    lead: Lead
    envelope: Envelope
    contact: ContactEvent
    event_ids: set[Any] = field(default_factory=set)


# LeadContact field (GHL's name) -> ContactEvent attribute
_CONTACT_ATTRS = {
    (f.alias or name): name
    for name, f in ContactEvent.model_fields.items()
    if (f.alias or name) in CONTACT_FIELDS
}


def contact_snapshot(contact: ContactEvent) -> dict[str, Any]:
    """The LeadContact document of a contact event (JSON-ready, every field present)."""
    snapshot: dict[str, Any] = {name: getattr(contact, attr) for name, attr in _CONTACT_ATTRS.items()}
    snapshot["tags"] = list(contact.tags)
    return snapshot


def decision_row(decision: RoutingDecision, ghl_location_id: str | None) -> dict[str, Any]:
    """The ``assignments`` row a decision is stored as (what events are built from)."""
    out = decision.outcome
    return {
        "lead_id": decision.lead_id,
        "event_id": decision.event_id,
        "source_location_id": decision.source_location_id,
        "location_id": out.location_id,
        "ghl_location_id": ghl_location_id,
        "rule": out.rule,
        "reason": out.reason,
        "distance_miles": out.distance_miles,
        "capacity_date": date.fromisoformat(out.capacity_date) if out.capacity_date else None,
        "score": decision.score,
        "geocode_method": decision.geocode.method.value,
        "state": decision.geocode.state,
        "decided_at": decision.decided_at,
        "hours_note": out.hours_note,
        "policy_version": out.policy_version,  # the event's, not an assignments column
    }


@dataclass
class BatchRouting:
    routing: RoutingHandler
    locations: LocationCache
    # autocommit sessions (leadflow_common.db.autocommit_sessionmaker): the batch's writes are one
    # statement, atomic by itself, so no BEGIN / COMMIT round trips
    sessions: async_sessionmaker[AsyncSession]

    async def handle_batch(self, batch: list[tuple[ConsumedRecord, Envelope | None]]) -> None:
        r = self.routing
        arrivals: dict[str, _Arrival] = {}
        updates: dict[str, tuple[Envelope, ContactEvent]] = {}  # the newest ContactUpdate per lead
        touches: list[Envelope] = []
        for _, envelope in batch:
            if envelope is None:
                continue
            if r.sla is not None and envelope.event_type in TOUCH_TYPES:
                touches.append(envelope)
                continue
            if envelope.event_type not in ROUTABLE_TYPES:
                continue
            contact = ContactEvent.model_validate(envelope.payload)
            if not r.routes(contact):
                continue
            lead = lead_from_contact(contact)
            arrival = arrivals.setdefault(lead.lead_id, _Arrival(lead, envelope, contact))
            arrival.event_ids.add(envelope.event_id)
            if envelope.event_type == "ContactUpdate":
                updates[lead.lead_id] = (envelope, contact)
        if arrivals:
            located, fresh = await self._route(list(arrivals.values()))
            if r.pool_updates is not None and updates:
                # pool leads' updates, after the batch's own decisions are stored; not a lead at a
                # location, nor one decided here from that very update
                pooled = [update for lead_id, update in updates.items() if lead_id not in located
                          and not (lead_id in fresh and arrivals[lead_id].envelope is update[0])]  # fmt: skip
                if pooled:
                    await r.pool_updates(pooled)
        if r.sla is not None:
            for envelope in touches:  # after the batch's own assignments are committed
                await r.sla.touch(envelope)

    async def _route(self, arrivals: list[_Arrival]) -> tuple[set[str], set[str]]:
        """Decide and store the batch's new leads; returns the leads at a location now and those
        decided here."""
        r = self.routing
        started = time.perf_counter()
        # How long the batch's oldest lead waited before its batch began (Kafka delivery, and
        # queueing behind the previous batch): the share of the latency outside this method.
        waited_ms = (datetime.now(UTC) - min(a.envelope.produced_at for a in arrivals)).total_seconds() * 1000
        # One session for the whole batch, two round trips: the redelivery read, then (after the
        # Redis decisions) the claims and writes in one statement, which commits on its own. The
        # read sees what is committed (as read committed did); the claim still decides which
        # events this statement applies, so two members racing on a partition write once.
        async with self.sessions() as session:
            stored = await batch_store.stored_assignments(session, [a.lead.lead_id for a in arrivals])
            # A stored decision is republished only for the event that made it (a redelivery).
            republish = [
                row
                for a in arrivals
                if (row := stored.get(a.lead.lead_id)) and row["event_id"] in a.event_ids
            ]
            fresh = [a for a in arrivals if a.lead.lead_id not in stored]
            decisions = await self._decide(fresh) if fresh else []
            decided = time.perf_counter()
            await self.locations.ensure({d.outcome.location_id for d in decisions if d.outcome.location_id})
            ghl_ids = {d.lead_id: self._ghl_id(d.outcome.location_id) for d in decisions}
            claimed, inserted = await batch_store.apply_decisions(
                session, ROUTING_GROUP, decisions, ghl_ids, self._timers(decisions) if r.sla else []
            )
            todo = [d for d in decisions if d.event_id in claimed]
        committed = time.perf_counter()
        sources = {a.lead.lead_id: a for a in fresh}
        events = [self._event(decision_row(d, ghl_ids[d.lead_id]), d, sources[d.lead_id])
                  for d in todo if d.lead_id in inserted]  # fmt: skip
        events += [self._event(row, None, None) for row in republish]
        await r.publisher.publish_events(LEADS_ASSIGNED, events)
        for d in todo:
            metrics.ROUTING_SECONDS.observe(committed - started)
            if d.lead_id in inserted:
                r.observe(d, log_each=False)
        log.info("batch_routed", leads=len(arrivals), decided=len(inserted), republished=len(republish),
                 waited_ms=round(waited_ms, 2), decide_ms=round((decided - started) * 1000, 2),
                 commit_ms=round((committed - decided) * 1000, 2),
                 publish_ms=round((time.perf_counter() - committed) * 1000, 2))  # fmt: skip
        located = {lead_id for lead_id, row in stored.items() if row["location_id"]}
        located |= {d.lead_id for d in todo if d.lead_id in inserted and d.outcome.location_id}
        return located, set(sources)

    async def _decide(self, arrivals: list[_Arrival]) -> list[RoutingDecision]:
        r = self.routing
        now = r.clock()
        requests, geos, scores = [], [], []
        for a in arrivals:
            score = score_lead(a.lead, r.weights)
            geo = geocode(a.lead, r.gazetteer)
            requests.append(lead_request(a.lead, geo, score))
            geos.append(geo)
            scores.append(score)
        outcomes = await r.decider.decide_many(requests, now)
        return [
            RoutingDecision(
                a.lead.lead_id, a.envelope.event_id, a.lead.source_location_id, score, geo, out, now
            )
            for a, geo, score, out in zip(arrivals, geos, scores, outcomes, strict=True)
        ]

    def _ghl_id(self, location_id: str | None) -> str | None:
        cached = self.locations.get(location_id) if location_id else None
        return cached.ghl_location_id if cached else None

    def _timers(self, decisions: list[RoutingDecision]) -> list[tuple[Any, ...]]:
        """SLA timers of the batch's assignments; the due time is worked out once per location
        (every decision of a batch has the same decision time)."""
        sla = self.routing.sla
        assert sla is not None
        due_by_location: dict[tuple[str, datetime], datetime] = {}
        timers = []
        for d in decisions:
            out = d.outcome
            if not (out.location_id and out.capacity_date):
                continue
            due = due_by_location.get((out.location_id, d.decided_at))
            if due is None:
                cached = self.locations.get(out.location_id)
                due = sla.due_at_for(cached.hours if cached else None, cached.timezone if cached else None,
                                     cached.region if cached else None, d.decided_at)  # fmt: skip
                due_by_location[(out.location_id, d.decided_at)] = due
            timers.append(
                (d.lead_id, out.location_id, date.fromisoformat(out.capacity_date), d.decided_at, due)
            )
        return timers

    def _event(self, row: dict[str, Any], decision: RoutingDecision | None,
               source: _Arrival | None) -> OutgoingEvent:  # fmt: skip
        """The decision's event; a fresh one carries the contact and continues the lead's trace."""
        candidates = candidate_dicts(decision.outcome.candidates) if decision else []
        snapshot = contact_snapshot(source.contact) if source is not None and row["location_id"] else None
        event_type, payload = decision_event(row, candidates, snapshot)
        trace = source.envelope.trace if source else None
        return OutgoingEvent(
            row["lead_id"], event_type, payload, assigned_event_id(row["lead_id"]), trace=trace
        )
