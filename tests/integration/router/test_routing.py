"""The router on real Kafka, Postgres and Redis: rules, fallbacks, idempotency, directory."""

from __future__ import annotations

import uuid
from collections import Counter

from leadflow_common.events.envelope import decode_envelope
from leadflow_common.topics import GHL_EVENTS, LEADS_ASSIGNED
from router.adapters.gazetteer import default_gazetteer
from tests.integration.router.harness import RunningRouter, delete_prefix, eventually
from tests.support.infra import Infra
from tests.support.kafka_io import produce, read_all


def lead_id() -> str:
    return f"c-{uuid.uuid4().hex[:10]}"


async def add_location(router: RunningRouter, location_id: str, zip_code: str, capacity: int,
                       status: str = "active") -> None:  # fmt: skip
    place = default_gazetteer().by_postal_code(zip_code)
    assert place is not None and place.state is not None
    await router.publish_location(location_id, zip_code, place.lat, place.lon, capacity, place.state, status)
    await router.wait_location(location_id, status)


async def test_lead_goes_to_nearest_location_with_capacity(router: RunningRouter, infra: Infra) -> None:
    await add_location(router, "DEN-1", "80202", 10)
    await add_location(router, "BOU-1", "80302", 10)
    lead = lead_id()
    envelope = await router.publish_contact(lead, postalCode="80203", email="a@b.co", source="website")

    route = (await router.route_of(lead))["assignment"]
    assert (route["location_id"], route["rule"], route["geocode_method"]) == (
        "DEN-1",
        "radius_25",
        "postal_code",
    )
    assert route["ghl_location_id"] == "ghl-DEN-1"
    assert await router.reserved("DEN-1") == 1

    records = [
        r
        for r in await read_all(infra.kafka, LEADS_ASSIGNED.name, 1000, timeout_s=3)
        if r.key == lead.encode()
    ]
    assert len(records) == 1
    event = decode_envelope(records[0].value)
    assert event.event_type == "LeadAssigned"
    assert event.payload["location_id"] == "DEN-1"
    assert {c["location_id"] for c in event.payload["candidates"]} >= {"DEN-1"}
    assert event.event_id != envelope.event_id


async def test_capacity_exhausted_walks_the_fallback_ladder(router: RunningRouter) -> None:
    await add_location(router, "AUS-1", "78701", 2)  # 0.9 x 2: two bookings
    await add_location(router, "SAT-1", "78205", 1)  # ~75 mi: radius_100
    await add_location(router, "DAL-1", "75201", 1)  # ~180 mi: same state
    leads = [lead_id() for _ in range(5)]
    for lead in leads:
        await router.publish_contact(lead, postalCode="78702")
    routes = [(await router.route_of(lead))["assignment"] for lead in leads]

    assert Counter(r["rule"] for r in routes) == Counter(
        {"radius_25": 2, "radius_100": 1, "same_state": 1, "unassigned": 1}
    )
    assert Counter(r["location_id"] for r in routes) == Counter({"AUS-1": 2, "SAT-1": 1, "DAL-1": 1, None: 1})
    pooled = next(r for r in routes if r["location_id"] is None)
    assert pooled["reason"] == "all_nearby_locations_at_capacity"
    assert [await router.reserved(x) for x in ("AUS-1", "SAT-1", "DAL-1")] == [2, 1, 1]


async def test_redelivered_event_books_once_and_updates_of_routed_contacts_are_ignored(
    router: RunningRouter,
) -> None:
    await add_location(router, "PDX-1", "97201", 10)
    lead = lead_id()
    first = await router.publish_contact(lead, postalCode="97205")
    await router.route_of(lead)
    await router.publish_contact(lead, event_id=first.event_id, postalCode="97205")  # redelivery
    await router.publish_contact(lead, event_type="ContactUpdate", postalCode="97205")
    marker = lead_id()  # same partition as nothing else; proves the consumer moved past them
    await router.publish_contact(marker, postalCode="97205")
    await router.route_of(marker)

    assert await router.reserved("PDX-1") == 2
    decisions = (await router.route_of(lead))["decisions"]
    assert len(decisions) == 1


async def test_unknown_zip_and_non_intake_contacts(router: RunningRouter) -> None:
    await add_location(router, "MSP-1", "55401", 10)
    fallback = lead_id()
    await router.publish_contact(fallback, postalCode="00000", city="Minneapolis", state="Minnesota")
    assert (await router.route_of(fallback))["assignment"]["geocode_method"] == "city_state"

    unroutable = lead_id()
    await router.publish_contact(unroutable)
    assert (await router.route_of(unroutable))["assignment"]["reason"] == "unroutable_address"

    foreign = lead_id()
    await router.publish_contact(foreign, location_id="SOME-FRANCHISE", postalCode="55401")
    marker = lead_id()
    await router.publish_contact(marker, postalCode="55401")
    await router.route_of(marker)
    assert (await router.http.get(f"/routes/{foreign}")).status_code == 404


async def test_deactivated_or_tombstoned_location_leaves_the_index_at_once(router: RunningRouter) -> None:
    await add_location(router, "SEA-1", "98101", 10)
    preview = await router.http.post("/routes/preview", json={"postal_code": "98104"})
    assert preview.json()["outcome"]["location_id"] == "SEA-1"

    await add_location(router, "SEA-1", "98101", 10, status="paused")
    preview = await router.http.post("/routes/preview", json={"postal_code": "98104"})
    assert preview.json()["outcome"]["location_id"] is None

    await add_location(router, "SEA-2", "98109", 10)
    await router.tombstone_location("SEA-2")

    async def gone() -> bool | None:
        response = await router.http.get("/locations/SEA-2/capacity")
        return True if response.status_code == 404 else None

    await eventually(gone)
    preview = await router.http.post("/routes/preview", json={"postal_code": "98104"})
    assert preview.json()["outcome"]["location_id"] is None
    assert await router.reserved("SEA-1") == 0  # previews book nothing


async def test_redis_loss_rebuilds_directory_and_counters_without_overbooking(router: RunningRouter) -> None:
    await add_location(router, "PHX-1", "85004", 4)  # 0.9 x 4: four bookings... 3.6 → 4
    first = [lead_id() for _ in range(2)]
    for lead in first:
        await router.publish_contact(lead, postalCode="85003")
    for lead in first:
        await router.route_of(lead)

    assert await delete_prefix(router.redis, router.settings.redis_prefix) > 0

    async def rebuilt() -> bool | None:
        return True if await router.reserved("PHX-1") == 2 else None

    await eventually(rebuilt)
    more = [lead_id() for _ in range(4)]
    for lead in more:
        await router.publish_contact(lead, postalCode="85003")
    routes = [(await router.route_of(lead))["assignment"] for lead in more]
    assert sum(1 for r in routes if r["location_id"] == "PHX-1") == 2
    assert await router.reserved("PHX-1") == 4


async def test_poison_message_goes_to_the_dlt(router: RunningRouter, infra: Infra) -> None:
    key = lead_id()
    await produce(infra.kafka, GHL_EVENTS.name, [(key, b"{not json")])
    records = await read_all(infra.kafka, GHL_EVENTS.dlt_name, 1000, timeout_s=8)
    poisoned = [r for r in records if r.key == key.encode()]
    assert len(poisoned) == 1
    headers = dict(poisoned[0].headers)
    assert headers["original.topic"] == GHL_EVENTS.name.encode()
    # the consumer keeps going
    after = lead_id()
    await router.publish_contact(after)
    assert (await router.route_of(after))["assignment"]["rule"] == "unassigned"
