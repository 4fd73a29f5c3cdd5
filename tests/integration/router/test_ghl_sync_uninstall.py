"""The app is uninstalled from one sub-account (the simulator drops its tokens and its token
exchange answers 400 "not installed", as GHL does): its leads wait on paused partitions, nothing
is dead-lettered, the gauge shows the block, the other sub-accounts sync meanwhile; once the app
is reinstalled every lead is synced exactly once and the gauge is gone."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterator

import pytest

from leadflow_common.events.leads import LeadContact
from leadflow_common.topics import LEADS_ASSIGNED
from router.handlers.sync_auth import AuthBlocks
from router.handlers.sync_plan import SyncRow
from tests.integration.router.harness import eventually
from tests.integration.router.sync_harness import lead_assigned, new_contact, publish_assigned, running_sync
from tests.integration.router.test_ghl_sync_auth import gauge, rows_of
from tests.support.ghl import GhlSim
from tests.support.infra import Infra
from tests.support.kafka_io import read_all

INTAKE = "INTAKEuninst00000001"
OPEN = {"FIT-0201": "UNINloc0000000000201", "FIT-0203": "UNINloc0000000000203"}
GONE = ("FIT-0202", "UNINloc0000000000202")


@pytest.fixture(scope="module")
def world(ghl_sim: GhlSim) -> Iterator[GhlSim]:
    locations = [{"id": INTAKE, "name": "Corporate intake"}, {"id": GONE[1], "name": GONE[0]}]
    locations += [{"id": ghl_id, "name": code} for code, ghl_id in OPEN.items()]
    ghl_sim.admin.post("/seed", json={"locations": locations}).raise_for_status()
    yield ghl_sim
    ghl_sim.admin.post(f"/locations/{GONE[1]}/install").raise_for_status()


async def test_an_uninstalled_sub_account_waits_and_syncs_once_reinstalled(
    world: GhlSim, infra: Infra, router_schema: str
) -> None:
    targets = {**OPEN, GONE[0]: GONE[1]}
    codes = list(targets)
    leads: list[tuple[str, LeadContact, str]] = [
        (f"lead{uuid.uuid4().hex[:12]}", new_contact(i), codes[i % 3]) for i in range(12)
    ]
    waiting = [lead for lead, _, code in leads if code == GONE[0]]
    open_leads = [lead for lead, _, code in leads if code != GONE[0]]
    since = int(world.requests()[-1]["seq"]) if world.requests() else 0
    world.admin.post(f"/locations/{GONE[1]}/uninstall").raise_for_status()
    try:
        async with running_sync(infra, router_schema, world.settings(), tag_source=False) as sync:
            sync.handler.auth = AuthBlocks(first_retry_s=0.2, max_retry_s=1.0)  # seconds, not minutes
            await publish_assigned(infra, [
                lead_assigned(lead, code, targets[code], INTAKE, contact) for lead, contact, code in leads
            ])  # fmt: skip

            async def open_synced_and_blocked() -> bool | None:
                block = [b for b in sync.handler.auth.blocked() if b.location_id == GONE[1]]
                done = len(await rows_of(sync, open_leads)) == len(open_leads)
                return True if done and block and block[0].refusals >= 2 else None

            await eventually(open_synced_and_blocked, 25)
            assert gauge(GONE[1]) == 1.0
            assert await rows_of(sync, waiting) == {}
            world.admin.post(f"/locations/{GONE[1]}/install").raise_for_status()  # reinstalled

            async def all_synced() -> dict[str, SyncRow] | None:
                rows = await rows_of(sync, [lead for lead, _, _ in leads])
                return rows if len(rows) == len(leads) else None

            rows = await eventually(all_synced, 25)
            assert gauge(GONE[1]) is None and sync.handler.auth.blocked() == []
    finally:
        world.admin.post(f"/locations/{GONE[1]}/install").raise_for_status()
    assert {rows[lead].ghl_location_id for lead in waiting} == {GONE[1]}
    seen = world.requests(since)
    not_installed = [r for r in seen if r["path"] == "/oauth/locationToken" and r["status"] == 400]
    assert len(not_installed) >= 2  # the exchange refused while uninstalled, retried on the backoff
    upserted = Counter(r["resource"] for r in seen if r["path"] == "/contacts/upsert" and r["status"] == 200)
    assert upserted == {ghl_id: 4 for ghl_id in targets.values()}  # each lead copied exactly once
    ours = {lead for lead, _, _ in leads}
    dead = await read_all(infra.kafka, LEADS_ASSIGNED.dlt_name, 100, timeout_s=2)
    assert not [r for r in dead if r.key is not None and r.key.decode() in ours]
