"""The batch sync against the simulator over HTTP, Kafka and Postgres: one call on the intake
sub-account per lead at most (none with tagging off), the contact taken from the event, calls on
each sub-account paced without 429s, and the error policy (transient failures retry only what
failed, a rejected lead is dead-lettered while its neighbours are synced)."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from leadflow_common.events.envelope import decode_envelope
from leadflow_common.events.leads import LeadContact
from leadflow_common.topics import LEADS_ASSIGNED
from router.adapters import sync_store
from router.handlers.sync_plan import SyncRow
from tests.integration.router.harness import eventually
from tests.integration.router.sync_harness import (
    RunningSync,
    lead_assigned,
    new_contact,
    publish_assigned,
    running_sync,
)
from tests.support.ghl import GhlSim
from tests.support.infra import Infra
from tests.support.kafka_io import read_all

INTAKE = "INTAKEloc000000000001"
TARGETS = {"FIT-0001": "FITloc00000000000001", "FIT-0002": "FITloc00000000000002",
           "FIT-0003": "FITloc00000000000003"}  # fmt: skip


@pytest.fixture(scope="module")
def world(ghl_sim: GhlSim) -> Iterator[GhlSim]:
    locations = [{"id": INTAKE, "name": "Corporate intake"}]
    locations += [{"id": ghl_id, "name": code} for code, ghl_id in TARGETS.items()]
    ghl_sim.admin.post("/seed", json={"locations": locations}).raise_for_status()
    yield ghl_sim


def seed_leads(sim: GhlSim, count: int, with_contact: bool = True) -> list[tuple[str, LeadContact]]:
    """Contacts created in the intake sub-account by forms (outside the rate limits)."""
    leads = [(f"lead{uuid.uuid4().hex[:12]}", new_contact(i)) for i in range(count)]
    rows = [{"id": lead, "locationId": INTAKE, **c.model_dump(exclude_none=True)} for lead, c in leads]
    sim.admin.post("/seed", json={"contacts": rows}).raise_for_status()
    return leads


async def assign_round_robin(infra: Infra, leads: list[tuple[str, LeadContact]], with_contact: bool = True,
                             targets: dict[str, str] = TARGETS) -> dict[str, str]:  # fmt: skip
    """Publish LeadAssigned for every lead, the locations taken in turn; returns lead -> location."""
    codes = list(targets)
    placed = {lead: codes[i % len(codes)] for i, (lead, _) in enumerate(leads)}
    await publish_assigned(infra, [
        lead_assigned(lead, placed[lead], targets[placed[lead]], INTAKE, contact if with_contact else None)
        for lead, contact in leads
    ])  # fmt: skip
    return placed


async def synced_rows(sync: RunningSync, leads: list[str], timeout_s: float = 60) -> dict[str, SyncRow]:
    async def all_synced() -> dict[str, SyncRow] | None:
        async with sync.sessions() as session:
            rows = await sync_store.sync_rows(session, leads)
        return rows if len(rows) == len(leads) else None

    return await eventually(all_synced, timeout_s)


def last_seq(sim: GhlSim) -> int:
    rows = sim.requests()
    return int(rows[-1]["seq"]) if rows else 0


def calls(sim: GhlSim, since: int) -> list[dict[str, Any]]:
    return [r for r in sim.requests(since) if not r["path"].startswith("/oauth/")]


async def test_one_intake_call_per_lead_and_the_contact_from_the_event(
    world: GhlSim, infra: Infra, router_schema: str
) -> None:
    leads = seed_leads(world, 30)
    since = last_seq(world)
    async with running_sync(infra, router_schema, world.settings()) as sync:
        placed = await assign_round_robin(infra, leads)
        rows = await synced_rows(sync, [lead for lead, _ in leads])
    seen = calls(world, since)
    assert not [r for r in seen if r["method"] == "GET"]  # nothing read back from GHL
    assert not [r for r in seen if r["status"] == 429]
    intake = [r for r in seen if r["resource"] == INTAKE]
    assert Counter((r["method"], r["path"].rsplit("/", 1)[-1], r["status"]) for r in intake) == {
        ("POST", "tags", 201): 30
    }
    upserts = Counter(r["resource"] for r in seen if r["path"] == "/contacts/upsert" and r["status"] == 200)
    assert upserts == {ghl_id: 10 for ghl_id in TARGETS.values()}
    by_id = {c["id"]: c for c in world.contacts()}
    for lead, contact in leads:
        copied = by_id[rows[lead].location_contact_id]
        assert copied["locationId"] == TARGETS[placed[lead]] == rows[lead].ghl_location_id
        assert (copied["firstName"], copied["email"], copied["tags"]) == (
            contact.firstName,
            contact.email,
            ["trial"],
        )
        assert f"routed:{placed[lead]}" in by_id[lead]["tags"]
    records = await read_all(infra.kafka, LEADS_ASSIGNED.name, 10_000, timeout_s=3)
    synced = Counter(r.key.decode() for r in records if decode_envelope(r.value).event_type == "LeadSynced")
    assert all(synced[lead] >= 1 for lead, _ in leads)


async def test_tagging_off_leaves_the_intake_untouched(
    world: GhlSim, infra: Infra, router_schema: str
) -> None:
    leads = seed_leads(world, 12)
    since = last_seq(world)
    async with running_sync(infra, router_schema, world.settings(), tag_source=False) as sync:
        await assign_round_robin(infra, leads)
        await synced_rows(sync, [lead for lead, _ in leads])
    assert not [r for r in world.requests(since) if r["resource"] == INTAKE]
    assert all(c["tags"] == ["trial"] for c in world.contacts(INTAKE) if c["id"] in dict(leads))


async def test_an_event_without_the_contact_reads_it_from_the_intake(
    world: GhlSim, infra: Infra, router_schema: str
) -> None:
    leads = seed_leads(world, 3)
    since = last_seq(world)
    async with running_sync(infra, router_schema, world.settings(), tag_source=False) as sync:
        await assign_round_robin(infra, leads, with_contact=False)
        rows = await synced_rows(sync, [lead for lead, _ in leads])
    reads = [r for r in world.requests(since) if r["method"] == "GET" and r["resource"] == INTAKE]
    assert sorted(r["path"] for r in reads) == sorted(f"/contacts/{lead}" for lead, _ in leads)
    by_id = {c["id"]: c for c in world.contacts()}
    assert {by_id[rows[lead].location_contact_id]["email"] for lead, _ in leads} == {
        c.email for _, c in leads
    }


async def test_a_transient_failure_retries_without_repeating_what_succeeded(
    world: GhlSim, infra: Infra, router_schema: str
) -> None:
    leads = seed_leads(world, 20)
    since = last_seq(world)
    world.faults(failing=[{"method": "POST", "path_prefix": "/contacts/upsert", "status": 503, "count": 3}])
    try:
        async with running_sync(
            infra, router_schema, world.settings(max_retries=0), tag_source=False
        ) as sync:
            await assign_round_robin(infra, leads)
            await synced_rows(sync, [lead for lead, _ in leads])
    finally:
        world.clear_faults()
    upserts = Counter(r["status"] for r in world.requests(since) if r["path"] == "/contacts/upsert")
    assert upserts == {503: 3, 200: 20}  # the 17 that went through were not sent again


async def test_a_rejected_lead_is_dead_lettered_and_its_neighbours_synced(
    world: GhlSim, infra: Infra, router_schema: str
) -> None:
    leads = seed_leads(world, 8)
    poison, rest = leads[3][0], [lead for lead, _ in leads if lead != leads[3][0]]
    targets = dict(TARGETS)
    async with running_sync(infra, router_schema, world.settings(), tag_source=False) as sync:
        envelopes = [
            lead_assigned(lead, "FIT-0001", TARGETS["FIT-0001"], INTAKE, contact) for lead, contact in leads
        ]
        envelopes[3] = lead_assigned(poison, "FIT-0404", "NOSUCHloc00000000404", INTAKE, leads[3][1])
        await publish_assigned(infra, envelopes)
        await synced_rows(sync, rest)
        dead = await read_all(infra.kafka, LEADS_ASSIGNED.dlt_name, 1, timeout_s=20)
    assert targets == TARGETS
    assert [r.key.decode() for r in dead] == [poison]
    async with sync.sessions() as session:
        assert poison not in await sync_store.sync_rows(session, [poison])


async def test_many_leads_on_one_sub_account_are_paced_without_429s(
    world: GhlSim, infra: Infra, router_schema: str
) -> None:
    """A small window (10 per second) so a batch queues far past one window on the intake (tags)
    and on the one target: every call waits its turn, none is refused."""
    world.set_limits(10, 1000)
    try:
        leads = seed_leads(world, 40)
        since = last_seq(world)
        one = {"FIT-0001": TARGETS["FIT-0001"]}
        async with running_sync(infra, router_schema, world.settings()) as sync:
            await assign_round_robin(infra, leads, targets=one)
            await synced_rows(sync, [lead for lead, _ in leads], timeout_s=60)
    finally:
        world.set_limits(100, 10_000)
    seen = world.requests(since)
    assert not [r for r in seen if r["status"] == 429]
    ok = Counter(r["resource"] for r in seen if r["status"] in (200, 201))
    assert ok[INTAKE] == 40 and ok[TARGETS["FIT-0001"]] == 40
