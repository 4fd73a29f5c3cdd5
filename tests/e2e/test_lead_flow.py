"""From CSV to dashboard: onboarded locations route real webhooks exactly once, the contacts land
in the right sub-accounts of the simulator, and analytics counts exactly what was sent."""

from __future__ import annotations

import random
from collections import Counter
from typing import Any

import httpx

from leadflow_system.leads import LeadStream, location_places
from leadflow_system.observe import RoutingOutcome, read_routing
from leadflow_system.seed import contacts_of, seed
from leadflow_system.system import API_TOKEN, INTAKE_LOCATION_ID, LocalSystem
from leadflow_system.traffic import deliver_all
from tests.e2e.conftest import Franchise
from tests.support.fault_checks import wait_for
from tests.support.infra import Infra

LEADS = 120


async def test_csv_to_dashboard_exactly_once(system: LocalSystem, franchise: Franchise, infra: Infra) -> None:
    stream = LeadStream(INTAKE_LOCATION_ID, location_places(franchise.csv_paths), rng=random.Random(7))
    deliveries, follow_ups = stream.generate(LEADS, duplicate_rate=0.1)
    contacts = {c["id"]: c for c in deliveries}
    assert len(deliveries) > len(contacts)  # the stream carries duplicate deliveries

    seed(system.url("ghl-simulator"), contacts=contacts_of(deliveries))
    statuses = await deliver_all(system.url("ingest") + "/webhooks/ghl", deliveries)
    assert statuses == Counter({200: len(deliveries)})

    outcome: RoutingOutcome = await read_routing(infra.kafka, LEADS, timeout_s=120)
    assert set(outcome.assigned) | set(outcome.unassigned) == set(contacts)
    assert not set(outcome.assigned) & set(outcome.unassigned)
    assert set(outcome.decisions_per_lead.values()) == {1}, "a lead was decided twice"
    assert set(outcome.assigned.values()) <= set(franchise.active)
    assert len(outcome.assigned) > LEADS // 2  # most leads are generated near a location

    # Every assigned contact is copied into its location's sub-account in GHL.
    async def all_synced() -> RoutingOutcome | None:
        again = await read_routing(infra.kafka, LEADS, timeout_s=10)
        return again if set(again.synced) == set(outcome.assigned) else None

    synced = await wait_for(all_synced, 90, "LeadSynced for every assigned lead")
    sim = httpx.AsyncClient(base_url=system.url("ghl-simulator") + "/admin", timeout=10)
    for lead, location_id in outcome.assigned.items():
        ghl_location = franchise.active[location_id]["ghl_location_id"]
        listing = await sim.get("/contacts", params={"locationId": ghl_location})
        in_sub_account = listing.json()["contacts"]
        emails = {c.get("email") for c in in_sub_account}
        assert contacts[lead]["email"] in emails, f"{lead} missing from {location_id}"
        assert synced.synced[lead] in {c["id"] for c in in_sub_account}
    await sim.aclose()

    # Follow-ups (opportunities, appointments) are attributed through the assignment.
    assert (await deliver_all(system.url("ingest") + "/webhooks/ghl", follow_ups)) == Counter(
        {200: len(follow_ups)}
    )
    won = sum(1 for f in follow_ups if f.get("status") == "won" and f["contactId"] in outcome.assigned)
    appointments = sum(
        1
        for f in follow_ups
        if f["type"] == "AppointmentCreate" and f["appointment"]["contactId"] in outcome.assigned
    )
    headers = {"Authorization": f"Bearer {API_TOKEN}"}

    async def analytics_caught_up() -> dict[str, Any] | None:
        async with httpx.AsyncClient(base_url=system.url("analytics"), timeout=10) as client:
            body: dict[str, Any] = (await client.get("/overview", headers=headers)).json()
        totals = body["totals"]
        done = (
            totals["leads"] == len(outcome.assigned)
            and totals["unassigned"] == len(outcome.unassigned)
            and totals["won"] == won
            and totals["appointments"] == appointments
        )
        return body if done else None

    overview = await wait_for(analytics_caught_up, 60, "analytics totals equal to what was sent")
    assert overview["freshness_seconds"] is not None

    async with httpx.AsyncClient(base_url=system.url("analytics"), timeout=10) as client:
        page = (await client.get("/locations/performance", params={"limit": 200}, headers=headers)).json()
        per_location = {i["location_id"]: i["counters"]["leads"] for i in page["items"]}
        expected = Counter(outcome.assigned.values())
        assert {k: v for k, v in per_location.items() if v} == dict(expected)
        assert (await client.get("/overview")).status_code == 401
