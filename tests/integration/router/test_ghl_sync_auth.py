"""A sub-account whose GHL credentials are refused (the simulator answers 401 to its tokens, as
after a revocation or an uninstall): its leads are not dead-lettered, they wait on paused
partitions while the gauge shows the block; the other sub-accounts' leads are synced meanwhile;
once the credentials work again every lead is synced exactly once and the gauge is gone."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterator

import pytest
from prometheus_client import REGISTRY

from leadflow_common.events.leads import LeadContact
from leadflow_common.topics import LEADS_ASSIGNED
from router.adapters import sync_store
from router.handlers.sync_auth import AuthBlocks
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

INTAKE = "INTAKEauth0000000001"
OPEN = {"FIT-0101": "AUTHloc0000000000101", "FIT-0103": "AUTHloc0000000000103"}
REVOKED = ("FIT-0102", "AUTHloc0000000000102")


@pytest.fixture(scope="module")
def world(ghl_sim: GhlSim) -> Iterator[GhlSim]:
    locations = [{"id": INTAKE, "name": "Corporate intake"}, {"id": REVOKED[1], "name": REVOKED[0]}]
    locations += [{"id": ghl_id, "name": code} for code, ghl_id in OPEN.items()]
    ghl_sim.admin.post("/seed", json={"locations": locations}).raise_for_status()
    yield ghl_sim


def gauge(location_id: str) -> float | None:
    return REGISTRY.get_sample_value("leadflow_ghl_auth_blocked", {"location_id": location_id})


async def rows_of(sync: RunningSync, leads: list[str]) -> dict[str, SyncRow]:
    async with sync.sessions() as session:
        return await sync_store.sync_rows(session, leads)


async def test_a_revoked_sub_account_waits_without_dead_letters_and_syncs_once_restored(
    world: GhlSim, infra: Infra, router_schema: str
) -> None:
    targets = {**OPEN, REVOKED[0]: REVOKED[1]}
    codes = list(targets)
    leads: list[tuple[str, LeadContact, str]] = [
        (f"lead{uuid.uuid4().hex[:12]}", new_contact(i), codes[i % 3]) for i in range(18)
    ]
    blocked = [lead for lead, _, code in leads if code == REVOKED[0]]
    open_leads = [lead for lead, _, code in leads if code != REVOKED[0]]
    since = int(world.requests()[-1]["seq"]) if world.requests() else 0
    world.faults(revoked_locations=[REVOKED[1]])
    try:
        async with running_sync(infra, router_schema, world.settings(), tag_source=False) as sync:
            # production retries a blocked sub-account after 2 s doubling to 3 min; seconds here
            sync.handler.auth = AuthBlocks(first_retry_s=0.2, max_retry_s=1.0)
            await publish_assigned(infra, [
                lead_assigned(lead, code, targets[code], INTAKE, contact) for lead, contact, code in leads
            ])  # fmt: skip

            async def open_synced_and_blocked() -> bool | None:
                block = [b for b in sync.handler.auth.blocked() if b.location_id == REVOKED[1]]
                done = len(await rows_of(sync, open_leads)) == len(open_leads)
                return True if done and block and block[0].refusals >= 3 else None

            await eventually(open_synced_and_blocked, 25)  # retried a few times, still refused
            assert gauge(REVOKED[1]) == 1.0
            assert await rows_of(sync, blocked) == {}
            world.clear_faults()  # the app is reinstalled / the token works again

            async def all_synced() -> dict[str, SyncRow] | None:
                rows = await rows_of(sync, [lead for lead, _, _ in leads])
                return rows if len(rows) == len(leads) else None

            rows = await eventually(all_synced, 25)
            assert gauge(REVOKED[1]) is None and sync.handler.auth.blocked() == []
    finally:
        world.clear_faults()
    assert {rows[lead].ghl_location_id for lead in blocked} == {REVOKED[1]}
    seen = world.requests(since)
    refusals = [r for r in seen if r["outcome"] == "revoked"]
    assert refusals and {r["resource"] for r in refusals} == {REVOKED[1]}
    upserted = Counter(r["resource"] for r in seen if r["path"] == "/contacts/upsert" and r["status"] == 200)
    assert upserted == {ghl_id: 6 for ghl_id in targets.values()}  # each lead copied exactly once
    ours = {lead for lead, _, _ in leads}
    dead = await read_all(infra.kafka, LEADS_ASSIGNED.dlt_name, 100, timeout_s=2)
    assert not [r for r in dead if r.key is not None and r.key.decode() in ours]
