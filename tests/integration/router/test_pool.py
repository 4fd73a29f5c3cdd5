"""The unassigned pool and reassignment on real Kafka, Postgres and Redis: listing and paging the
pool, reassigning by hand (to a location, a full or paused one, "auto"), and the pool re-drive on a
location's activation, a new local day and a ContactUpdate that adds the address.

The re-drive's background poll is off (1 h) in this module; tests call ``run_once`` themselves."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from leadflow_common.events.envelope import Envelope, decode_envelope
from leadflow_common.topics import LEADS_ASSIGNED
from router.adapters import pool_store
from router.adapters.gazetteer import default_gazetteer
from router.adapters.keys import RedisKeys
from router.pool_wiring import PoolServices, pool_of
from tests.integration.router.harness import RunningRouter, eventually, running_router
from tests.support.infra import Infra
from tests.support.kafka_io import read_all

OPS = "ops@franchise.example"


@pytest.fixture(scope="module")
async def router(infra: Infra, router_schema: str) -> AsyncIterator[RunningRouter]:
    os.environ["ROUTER_POOL_POLL_INTERVAL_S"] = "3600"
    try:
        async with running_router(infra, router_schema, sla_poll_interval_s=3600.0) as running:
            yield running
    finally:
        os.environ.pop("ROUTER_POOL_POLL_INTERVAL_S", None)


def lead_id() -> str:
    return f"p-{uuid.uuid4().hex[:10]}"


def pool(router: RunningRouter) -> PoolServices:
    assert router.services is not None
    return pool_of(router.services)


async def add_location(router: RunningRouter, location_id: str, zip_code: str, capacity: int,
                       status: str = "active") -> None:  # fmt: skip
    place = default_gazetteer().by_postal_code(zip_code)
    assert place is not None and place.state is not None
    await router.publish_location(location_id, zip_code, place.lat, place.lon, capacity, place.state, status)
    await router.wait_location(location_id, status)


async def decided(router: RunningRouter, lead: str, lines: int = 1) -> dict[str, Any]:
    """The lead's route once it has at least ``lines`` decision-log lines."""

    async def probe() -> dict[str, Any] | None:
        route = await router.route_of(lead)
        return route if len(route["decisions"]) >= lines else None

    return await eventually(probe, 20)


async def events_of(infra: Infra, lead: str) -> list[Envelope]:
    records = await read_all(infra.kafka, LEADS_ASSIGNED.name, 1_000_000, timeout_s=2)
    return [decode_envelope(r.value) for r in records if r.key == lead.encode()]


def errors_name(response: Any, status: int, field: str) -> str:
    assert response.status_code == status, response.text
    (error,) = response.json()["detail"]
    assert error["loc"][-1] == field
    return str(error["msg"])


async def test_pool_lists_filters_and_pages_with_a_total(router: RunningRouter) -> None:
    await add_location(router, "PL-FAR", "58102", 1)  # 0.9 x 1: one lead, then the pool
    leads = [lead_id() for _ in range(4)]
    for lead in leads:
        await router.publish_contact(lead, postalCode="58102")
        await decided(router, lead)
    nowhere = lead_id()
    await router.publish_contact(nowhere, firstName="No address")
    await decided(router, nowhere)

    pooled = {"status": "unassigned", "state": "ND", "reason": "all_nearby_locations_at_capacity"}
    first = (await router.http.get("/routes", params=pooled | {"limit": 2})).json()
    assert first["total"] == 3 and len(first["items"]) == 2 and first["next_cursor"]
    second = (
        await router.http.get("/routes", params=pooled | {"limit": 2, "cursor": first["next_cursor"]})
    ).json()
    assert second["total"] == 3 and len(second["items"]) == 1 and second["next_cursor"] is None
    paged = [i["lead_id"] for i in first["items"] + second["items"]]
    assert paged == leads[1:]  # oldest first, each once; the first lead took the one slot
    assert all(i["location_id"] is None and i["state"] == "ND" for i in first["items"] + second["items"])

    near = (await router.http.get("/routes", params={"location_id": "pl-far", "limit": 10})).json()
    assert {i["lead_id"] for i in near["items"]} == set(leads[1:])
    assigned = (
        await router.http.get("/routes", params={"status": "assigned", "location_id": "PL-FAR"})
    ).json()
    assert [i["lead_id"] for i in assigned["items"]] == [leads[0]]
    unroutable = (
        await router.http.get("/routes", params={"reason": "unroutable_address", "limit": 500})
    ).json()
    assert nowhere in {i["lead_id"] for i in unroutable["items"]}
    later = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    assert (await router.http.get("/routes", params=pooled | {"from": later})).json()["total"] == 0

    bad = router.http.get
    errors_name(await bad("/routes", params={"status": "lost"}), 422, "status")
    errors_name(await bad("/routes", params={"limit": 0}), 422, "limit")
    errors_name(await bad("/routes", params={"cursor": "not-a-cursor"}), 422, "cursor")
    errors_name(await bad("/routes", params={"from": "2026-12-01T00:00:00"}), 422, "from")
    errors_name(await bad("/routes", params={"from": later, "to": "2026-01-01T00:00:00Z"}), 422, "to")
    errors_name(await bad("/routes", params={"location_id": "NOPE-9"}), 422, "location_id")
    errors_name(await bad("/routes", params={"radius_miles": 5}), 422, "radius_miles")
    errors_name(await bad("/routes", params={"state": "North Dakota"}), 422, "state")


async def test_pool_leads_near_a_location_are_routed_again_at_its_local_midnight(
    router: RunningRouter,
) -> None:
    redrive = pool(router).redrive
    pooled = {"status": "unassigned", "state": "ND", "reason": "all_nearby_locations_at_capacity"}
    before = (await router.http.get("/routes", params=pooled)).json()["items"]
    assert len(before) == 3
    await redrive.run_once()  # today's triggers (PL-FAR's activation, today's midnights): still full
    assert (await router.http.get("/routes", params=pooled)).json()["total"] == 3
    tomorrow = datetime.now(UTC) + timedelta(days=1)
    redrive.clock = lambda: tomorrow
    try:
        assert await redrive.run_once() == 1  # PL-FAR's new day has one slot: the oldest pool lead
        assert await redrive.run_once() == 0  # the same trigger never routes a lead twice
    finally:
        redrive.clock = lambda: datetime.now(UTC)
    route = await router.route_of(before[0]["lead_id"])
    assert (route["assignment"]["location_id"], route["assignment"]["rule"]) == ("PL-FAR", "pool_redrive")
    assert route["decisions"][-1]["actor"] == "pool-redrive"
    assert "midnight:America/Chicago:" in route["decisions"][-1]["why"]
    after = (await router.http.get("/routes", params=pooled)).json()
    assert [i["lead_id"] for i in after["items"]] == [i["lead_id"] for i in before[1:]]


async def test_reassign_to_a_location_books_it_releases_the_old_slot_and_says_who_and_why(
    router: RunningRouter, infra: Infra
) -> None:
    await add_location(router, "PL-BIL1", "59101", 10)
    await add_location(router, "PL-BIL2", "59102", 1)
    await add_location(router, "PL-BIL3", "59105", 10, status="paused")
    await add_location(router, "PL-BIL4", "59106", 10)
    first, second = lead_id(), lead_id()
    for lead in (first, second):
        await router.publish_contact(lead, postalCode="59101")
        assert (await decided(router, lead))["assignment"]["location_id"] == "PL-BIL1"
    assert await router.reserved("PL-BIL1") == 2

    body = {"location_id": "pl-bil2", "actor": OPS, "reason": "customer asked for the west side"}
    response = await router.http.post(f"/routes/{first}/reassign", json=body)
    assert response.status_code == 200, response.text
    moved = response.json()
    assert (moved["from_location_id"], moved["location_id"], moved["rule"]) == (
        "PL-BIL1",
        "PL-BIL2",
        "manual",
    )
    assert (await router.reserved("PL-BIL1"), await router.reserved("PL-BIL2")) == (1, 1)
    route = await router.route_of(first)
    assert route["assignment"]["location_id"] == "PL-BIL2" and route["assignment"]["rule"] == "manual"
    last = route["decisions"][-1]
    assert (last["rule"], last["actor"], last["why"]) == ("manual", OPS, "customer asked for the west side")
    assert route["sla"]["location_id"] == "PL-BIL2" and route["sla"]["status"] == "pending"
    events = {e.event_type: e for e in await events_of(infra, first)}
    reassigned = events["LeadReassigned"].payload
    assert (reassigned["from_location_id"], reassigned["to_location_id"]) == ("PL-BIL1", "PL-BIL2")
    assert (reassigned["actor"], reassigned["rule"]) == (OPS, "manual")
    assert str(events["LeadReassigned"].event_id) == moved["events"]["LeadReassigned"]
    assert [
        e.payload["location_id"] for e in await events_of(infra, first) if e.event_type == "LeadAssigned"
    ][-1] == "PL-BIL2"

    post = router.http.post
    again = await post(f"/routes/{first}/reassign", json=body)
    assert "already assigned there" in errors_name(again, 409, "location_id")
    # refused moves change nothing: assignment, bookings and decision log stay as they were
    lines = len((await router.route_of(second))["decisions"])
    full = await post(f"/routes/{second}/reassign", json=body)
    assert "location full" in errors_name(full, 409, "location_id")
    paused = await post(f"/routes/{second}/reassign", json=body | {"location_id": "PL-BIL3"})
    assert "location paused" in errors_name(paused, 409, "location_id")
    unknown = await post(f"/routes/{second}/reassign", json=body | {"location_id": "PL-NOPE"})
    assert "location not found" in errors_name(unknown, 404, "location_id")
    assert (await router.reserved("PL-BIL1"), await router.reserved("PL-BIL2")) == (1, 1)
    route = await router.route_of(second)
    assert route["assignment"]["location_id"] == "PL-BIL1" and len(route["decisions"]) == lines
    assert "lead not found" in errors_name(
        await post("/routes/p-missing/reassign", json=body), 404, "lead_id"
    )
    no_actor = {"location_id": "PL-BIL4", "reason": "x"}
    errors_name(await post(f"/routes/{second}/reassign", json=no_actor), 422, "actor")
    errors_name(
        await post(f"/routes/{second}/reassign", json={"location_id": "PL-BIL4", "actor": OPS}), 422, "reason"
    )

    # "auto": the routing decision again without the current location (PL-BIL2 is full, BIL3 paused)
    auto = await post(f"/routes/{second}/reassign", json={"location_id": "auto", "reason": "rebalance"},
                      headers={"X-Actor": OPS})  # fmt: skip
    assert auto.status_code == 200, auto.text
    assert (auto.json()["location_id"], auto.json()["rule"]) == ("PL-BIL4", "reassigned")
    assert (await router.reserved("PL-BIL1"), await router.reserved("PL-BIL4")) == (0, 1)
    assert (await router.route_of(second))["decisions"][-1]["actor"] == OPS
    exported = (await router.http.get("/metrics")).text
    assert 'router_lead_moves_total{rule="manual"}' in exported
    assert 'router_lead_moves_refused_total{refusal="LocationFull"}' in exported


async def test_concurrent_reassignments_never_over_book(router: RunningRouter) -> None:
    await add_location(router, "PL-MSO", "59801", 2)  # two slots for people's moves
    leads = [lead_id() for _ in range(5)]
    for lead in leads:
        await router.publish_contact(lead, postalCode="59101")
        await decided(router, lead)
    before = await router.reserved("PL-BIL1")
    body = {"location_id": "PL-MSO", "actor": OPS, "reason": "overflow"}
    answers = await asyncio.gather(
        *(router.http.post(f"/routes/{lead}/reassign", json=body) for lead in leads)
    )
    assert sorted(a.status_code for a in answers) == [200, 200, 409, 409, 409]
    assert await router.reserved("PL-MSO") == 2 and await router.reserved("PL-BIL1") == before - 2
    # the same lead twice at once: one move, one "already assigned there" (row lock)
    lead = next(lead for lead, a in zip(leads, answers, strict=True) if a.status_code == 409)
    await add_location(router, "PL-MSO2", "59802", 5)
    again = {"location_id": "PL-MSO2", "actor": OPS, "reason": "twice"}
    twice = await asyncio.gather(
        *(router.http.post(f"/routes/{lead}/reassign", json=again) for _ in range(2))
    )
    assert sorted(a.status_code for a in twice) == [200, 409]
    assert await router.reserved("PL-MSO2") == 1


async def test_pool_lead_given_an_address_by_a_contact_update_is_routed(router: RunningRouter) -> None:
    lead = lead_id()
    await router.publish_contact(lead, firstName="Sam")
    assert (await decided(router, lead))["assignment"]["reason"] == "unroutable_address"
    await router.publish_contact(lead, "ContactUpdate", firstName="Sam", postalCode="59101")
    route = await decided(router, lead, lines=2)
    assert (route["assignment"]["location_id"], route["assignment"]["rule"]) == ("PL-BIL1", "pool_redrive")
    assert route["assignment"]["geocode_method"] == "postal_code"
    assert route["decisions"][-1]["why"] == "address added by a ContactUpdate"


async def test_an_address_added_right_after_the_creation_is_not_lost(router: RunningRouter) -> None:
    lead = lead_id()
    await router.publish_contact(lead, firstName="Kim")  # unroutable: the pool
    await router.publish_contact(lead, "ContactUpdate", firstName="Kim", postalCode="59101")

    async def routed() -> dict[str, Any] | None:
        route = await router.route_of(lead)
        return route if route["assignment"]["location_id"] else None

    route = await eventually(routed, 30)  # handed to the re-drive once the create is decided
    assert (route["assignment"]["location_id"], route["assignment"]["rule"]) == ("PL-BIL1", "pool_redrive")
    assert [d["rule"] for d in route["decisions"]] == ["unassigned", "pool_redrive"]


async def test_pool_leads_near_a_location_that_activates_are_routed_once(router: RunningRouter) -> None:
    lead = lead_id()
    await router.publish_contact(lead, postalCode="82001")
    assert (await decided(router, lead))["assignment"]["reason"] == "no_location_in_range"
    redrive = pool(router).redrive
    await redrive.run_once()  # nothing near it yet
    assert (await router.route_of(lead))["assignment"]["location_id"] is None

    await add_location(router, "PL-CHY", "82009", 5)

    async def routed() -> dict[str, Any] | None:
        await redrive.run_once()
        route = await router.route_of(lead)
        return route if route["assignment"]["location_id"] else None

    route = await eventually(routed, 20)
    assert (route["assignment"]["location_id"], route["assignment"]["rule"]) == ("PL-CHY", "pool_redrive")
    why = route["decisions"][-1]["why"]
    assert why.startswith("trigger location:PL-CHY:")
    await redrive.run_once()
    assert len((await router.route_of(lead))["decisions"]) == 2  # left the pool once
    assert router.services is not None
    async with router.services.sessions() as session:
        trigger = await pool_store.trigger_row(session, why.removeprefix("trigger "))
    assert trigger is not None and trigger["done_at"] is not None and trigger["routed"] == 1
    keys = RedisKeys(router.settings.redis_prefix)
    assert await router.redis.exists(keys.reservation(f"{lead}#mv1")) == 1
