"""Business hours and the speed-to-lead SLA on real Kafka, Postgres and Redis.

The SLA is set to a few business seconds and the workers' clocks are injected, so nothing waits
minutes; the background poll is switched off (1 h) and the tests drive ``fire_due`` themselves."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from leadflow_common.db import make_engine, make_sessionmaker, transaction
from leadflow_common.events.envelope import Envelope, decode_envelope, encode_envelope
from leadflow_common.events.locations import BusinessHours, DayHours
from leadflow_common.topics import GHL_EVENTS, LEADS_ASSIGNED
from router.adapters import postgres as pg
from router.adapters.gazetteer import default_gazetteer
from router.adapters.keys import RedisKeys
from router.adapters.redis_decider import HoursPolicy, RedisDecider
from router.domain.geocoding import Geocode, GeocodeMethod
from router.domain.open_rank import HoursRule
from router.handlers.sla import SlaTimers
from router.services import RouterServices
from tests.integration.router.harness import RunningRouter, eventually, running_router
from tests.support.infra import Infra
from tests.support.kafka_io import produce, read_all

CHICAGO = ZoneInfo("America/Chicago")
QUICK = {"sla_minutes": 0.05, "sla_poll_interval_s": 3600.0}  # 3 business seconds; no background poll


def daily(opens: str, closes: str) -> BusinessHours:
    return BusinessHours(weekly={d: [DayHours(opens=opens, closes=closes)] for d in range(7)})


def lead_id() -> str:
    return f"c-{uuid.uuid4().hex[:10]}"


async def add_location(
    router: RunningRouter, location_id: str, zip_code: str, capacity: int, hours: BusinessHours | None = None
) -> None:
    place = default_gazetteer().by_postal_code(zip_code)
    assert place is not None and place.state is not None
    await router.publish_location(
        location_id, zip_code, place.lat, place.lon, capacity, place.state, hours=hours
    )
    await router.wait_location(location_id, "active")


def svc_of(router: RunningRouter) -> RouterServices:
    assert router.services is not None and router.services.sla is not None
    return router.services


async def publish_ghl(router: RunningRouter, key: str, body: dict[str, Any]) -> None:
    envelope = Envelope(event_id=uuid.uuid4(), event_type=body["type"], source="tests", payload=body)
    await produce(router.infra.kafka, GHL_EVENTS.name, [(key, encode_envelope(envelope))])


async def lead_events(infra: Infra, lead: str, expected: int) -> list[Envelope]:
    records = await read_all(infra.kafka, LEADS_ASSIGNED.name, 100_000, timeout_s=3)
    return [decode_envelope(r.value) for r in records if r.key == lead.encode()]


async def sla_status(router: RunningRouter, lead: str, status: str) -> dict[str, Any]:
    async def probe() -> dict[str, Any] | None:
        route = await router.route_of(lead)
        return route if route["sla"] and route["sla"]["status"] == status else None

    return await eventually(probe, 20)


async def test_lead_at_2055_before_a_2100_close_follows_the_hours_rule(
    infra: Infra, router_schema: str
) -> None:
    async with running_router(infra, router_schema, **QUICK | {"sla_minutes": 15.0}) as router:
        svc = svc_of(router)
        await add_location(router, "SLA-NEAR", "60601", 10, hours=daily("06:00", "21:00"))
        await add_location(router, "SLA-FAR", "60614", 10, hours=daily("06:00", "23:00"))
        today = datetime.now(CHICAGO).date()
        at_2055 = datetime.combine(today, time(20, 55), tzinfo=CHICAGO).astimezone(UTC)
        svc.routing.clock = lambda: at_2055

        lead = lead_id()
        await router.publish_contact(lead, postalCode="60601")
        route = await router.route_of(lead)
        assignment = route["assignment"]
        assert assignment["location_id"] == "SLA-FAR"  # NEAR closes in 5 min: the SLA would run overnight
        assert "preferred SLA-FAR (open now, SLA due in 15 min) over SLA-NEAR" in assignment["hours_note"]
        assert route["decisions"][0]["hours_note"] == assignment["hours_note"]
        assert datetime.fromisoformat(route["sla"]["due_at"]) == at_2055 + timedelta(minutes=15)
        assert await router.reserved("SLA-FAR") == 1 and await router.reserved("SLA-NEAR") == 0
        (event,) = [e for e in await lead_events(infra, lead, 1) if e.event_type == "LeadAssigned"]
        assert any("preferred SLA-FAR" in r for r in event.payload["reasons"])

        # the other rule and other times of day, on the same Redis directory (look only)
        keys, policy = RedisKeys(router.settings.redis_prefix), router.settings.routing_policy()
        geo = Geocode(GeocodeMethod.POSTAL_CODE, 41.8857, -87.6229, "IL")
        ignore = RedisDecider(svc.redis, keys, policy, 60, 60, HoursPolicy(HoursRule.IGNORE))
        assert (await ignore.decide("", geo, 0, at_2055, book=False)).location_id == "SLA-NEAR"
        noon = at_2055 - timedelta(hours=8, minutes=55)
        assert (await svc.decider.decide("", geo, 0, noon, book=False)).location_id == "SLA-NEAR"

        preview = (await router.http.post("/routes/preview", json={"postal_code": "60601"})).json()
        assert preview["outcome"]["location_id"] in {"SLA-NEAR", "SLA-FAR"}
        assert set(preview["hours"]) == {"open_now", "opens_in_minutes", "opens_at", "note"}


async def test_unworked_lead_is_reassigned_once_by_racing_workers_and_after_restart(
    infra: Infra, router_schema: str
) -> None:
    async with running_router(infra, router_schema, **QUICK) as router:
        svc = svc_of(router)
        await add_location(router, "SLA-HOU1", "77002", 10)
        await add_location(router, "SLA-HOU2", "77019", 10)
        lead = lead_id()
        await router.publish_contact(lead, postalCode="77002")
        assert (await router.route_of(lead))["assignment"]["location_id"] == "SLA-HOU1"
        later = datetime.now(UTC) + timedelta(minutes=1)

        engine = make_engine(router.settings.database_url, router.settings.db_schema)
        try:
            other = SlaTimers(
                router.settings,
                make_sessionmaker(engine),
                svc.decider,
                svc.routing.publisher,
                clock=lambda: later,
            )
            assert svc.sla is not None
            svc.sla.clock = lambda: later
            fired = await asyncio.gather(svc.sla.fire_due(), other.fire_due(), svc.sla.fire_due())
            assert sum(fired) == 1
            assert sum(await asyncio.gather(svc.sla.fire_due(), other.fire_due())) == 0
        finally:
            await engine.dispose()
        route = await router.route_of(lead)
        assert (route["assignment"]["location_id"], route["assignment"]["rule"]) == (
            "SLA-HOU2",
            "sla_reassign",
        )
        assert (route["sla"]["attempt"], route["sla"]["status"]) == (1, "pending")
        assert route["sla"]["tried"] == ["SLA-HOU1", "SLA-HOU2"]
        assert await router.reserved("SLA-HOU1") == 0 and await router.reserved("SLA-HOU2") == 1

    async with running_router(infra, router_schema, **QUICK) as restarted:  # a new process, Redis rebuilt
        svc = svc_of(restarted)
        assert svc.sla is not None
        svc.sla.clock = lambda: later
        assert await svc.sla.run_once() == 0
        assert await restarted.reserved("SLA-HOU1") == 0 and await restarted.reserved("SLA-HOU2") == 1

        events = await lead_events(infra, lead, 3)
        kinds = Counter(e.event_type for e in events)
        assert kinds == {"LeadAssigned": 2, "LeadReassigned": 1}
        moved = next(e for e in events if e.event_type == "LeadReassigned").payload
        assert (moved["from_location_id"], moved["to_location_id"], moved["attempt"]) == (
            "SLA-HOU1",
            "SLA-HOU2",
            1,
        )
        assert moved["reason"].startswith("sla_breach")
        assert len({e.event_id for e in events}) == 3


async def test_worked_leads_are_never_reassigned(infra: Infra, router_schema: str) -> None:
    async with running_router(infra, router_schema, **QUICK) as router:
        svc = svc_of(router)
        await add_location(router, "SLA-DAL1", "75201", 10)
        await add_location(router, "SLA-DAL2", "75204", 10)
        by_source, by_synced, inbound_only = lead_id(), lead_id(), lead_id()
        for lead in (by_source, by_synced, inbound_only):
            await router.publish_contact(lead, postalCode="75201")
            assert (await router.route_of(lead))["assignment"]["location_id"] == "SLA-DAL1"
        async with transaction(svc.sessions) as session:
            synced = {
                "lead_id": by_synced,
                "location_id": "SLA-DAL1",
                "ghl_location_id": "ghl-SLA-DAL1",
                "location_contact_id": "sub-" + by_synced,
                "synced_at": datetime.now(UTC),
            }
            await pg.save_sync(session, synced)

        await publish_ghl(
            router,
            by_source,
            {
                "type": "OutboundMessage",
                "contactId": by_source,
                "locationId": "INTAKE-LOC",
                "messageType": "SMS",
            },
        )
        appointment = {
            "type": "AppointmentCreate",
            "locationId": "ghl-SLA-DAL1",
            "appointment": {"contactId": "sub-" + by_synced},
        }
        await publish_ghl(router, "sub-" + by_synced, appointment)
        await publish_ghl(router, inbound_only, {"type": "InboundMessage", "contactId": inbound_only})
        worked = await sla_status(router, by_source, "worked")
        assert worked["sla"]["touch"] == "OutboundMessage"
        assert (await sla_status(router, by_synced, "worked"))["sla"]["touch"] == "AppointmentCreate"

        assert svc.sla is not None
        svc.sla.clock = lambda: datetime.now(UTC) + timedelta(hours=1)
        assert await svc.sla.fire_due() >= 1  # the lead nobody answered (and earlier tests' leads)
        for lead in (by_source, by_synced):
            route = await router.route_of(lead)
            assert (route["assignment"]["location_id"], route["sla"]["status"]) == ("SLA-DAL1", "worked")
        assert (await router.route_of(inbound_only))["assignment"]["location_id"] == "SLA-DAL2"
        worked_events = [e for e in await lead_events(infra, by_source, 2) if e.event_type == "LeadWorked"]
        assert len(worked_events) == 1
        worked_payload = worked_events[0].payload
        # Always open, so the SLA is QUICK's 0.05 minutes of wall time after the assignment.
        took = datetime.fromisoformat(worked_payload["worked_at"]) - datetime.fromisoformat(
            worked_payload["assigned_at"]
        )
        assert worked_payload["within_sla"] is (took <= timedelta(minutes=QUICK["sla_minutes"]))


class BrokenPublisher:
    """Kafka unreachable right after the firing transaction committed (a crash before publishing)."""

    def __init__(self, real: Any) -> None:
        self._real = real

    def envelope(self, payload: Any, **kwargs: Any) -> Envelope:
        envelope: Envelope = self._real.envelope(payload, **kwargs)
        return envelope

    async def publish(self, topic: Any, key: str, envelope: Envelope) -> None:
        raise ConnectionError("broker unreachable")


async def test_reassignment_committed_but_not_published_is_published_by_the_next_poll(
    infra: Infra, router_schema: str
) -> None:
    async with running_router(infra, router_schema, **QUICK) as router:
        svc = svc_of(router)
        await add_location(router, "SLA-PHX1", "85004", 10)
        await add_location(router, "SLA-PHX2", "85012", 10)
        lead = lead_id()
        await router.publish_contact(lead, postalCode="85004")
        assert (await router.route_of(lead))["assignment"]["location_id"] == "SLA-PHX1"
        later = datetime.now(UTC) + timedelta(hours=3)
        crashing = SlaTimers(
            router.settings,
            svc.sessions,
            svc.decider,
            BrokenPublisher(svc.routing.publisher),
            clock=lambda: later,
        )
        try:
            await crashing.fire_due()
            raise AssertionError("publishing should have failed")
        except ConnectionError:
            pass
        assert (await router.route_of(lead))["assignment"]["location_id"] == "SLA-PHX2"  # committed
        assert [e for e in await lead_events(infra, lead, 1) if e.event_type == "LeadReassigned"] == []

        assert svc.sla is not None
        svc.sla.clock = lambda: later
        await svc.sla.run_once()  # fires nothing new (re-armed past ``later``), publishes the outbox
        kinds = Counter(e.event_type for e in await lead_events(infra, lead, 3))
        assert kinds == {"LeadAssigned": 2, "LeadReassigned": 1}
