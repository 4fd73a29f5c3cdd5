"""The contact reconciler against the real Kafka, Postgres and Redis, the GHL simulator and ingest:
contacts whose webhook GHL never sent are routed within one interval, and a lead that comes both
ways (webhook and reconciler, in either order) is routed exactly once."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import text

from ghl_simulator.webhooks import ED25519_PUBLIC_KEY, RSA_PUBLIC_KEY
from ingest.settings import IngestSettings
from leadflow_common.settings import KafkaSettings, RedisSettings
from router.adapters.gazetteer import default_gazetteer
from router.adapters.reconcile_store import LeaseLost, ReconcileStore, Watermark
from router.domain.reconcile import recovered_event_id
from router.reconcile_worker import InProcess, build_reconciler
from tests.integration.ingest.support import running_ingest
from tests.integration.router.harness import INTAKE, RunningRouter, eventually, running_router
from tests.support.ghl import GhlSim
from tests.support.infra import Infra

INTERVAL_S = 2.0
LOCATION = "DEN-RECON"


@pytest.fixture(scope="module")
def ingest_url(infra: Infra) -> Iterator[str]:
    settings = IngestSettings(
        public_keys=[str(ED25519_PUBLIC_KEY), str(RSA_PUBLIC_KEY)],
        kafka=KafkaSettings(bootstrap_servers=infra.kafka),
        redis=RedisSettings(url=infra.redis_url),
    )
    with running_ingest(settings) as url:
        yield f"{url}/webhooks/ghl"


@pytest.fixture(scope="module")
async def reconciling_router(
    infra: Infra, router_schema: str, ghl_sim: GhlSim, ingest_url: str
) -> AsyncIterator[RunningRouter]:
    ghl_sim.admin.post("/seed", json={"locations": [{"id": INTAKE, "name": "Corporate"}]}).raise_for_status()
    await asyncio.to_thread(default_gazetteer)
    async with running_router(
        infra, router_schema, ghl=ghl_sim.settings(),
        contact_reconcile_interval_s=INTERVAL_S, contact_reconcile_settle_s=0.0,
        contact_reconcile_overlap_s=5.0, contact_reconcile_page_size=3,
    ) as router:  # fmt: skip
        place = default_gazetteer().by_postal_code("80202")
        assert place is not None and place.state is not None
        await router.publish_location(LOCATION, "80202", place.lat, place.lon, 500, place.state)
        await router.wait_location(LOCATION, "active")
        yield router


def inbound(sim: GhlSim, url: str, count: int, drop: int = 0) -> list[dict[str, Any]]:
    """``count`` contacts created in the intake account by a form; GHL sends the webhook of all
    but the first ``drop`` (the simulator's fault)."""
    if drop:
        sim.faults(drop_webhooks=drop)
    tag = uuid.uuid4().hex[:6]
    contacts = [
        {
            "locationId": INTAKE,
            "firstName": f"R{tag}{i}",
            "email": f"r{tag}{i}@example.com",
            "postalCode": "80203",
        }
        for i in range(count)
    ]
    answer = sim.admin.post("/contacts/inbound", json={"contacts": contacts, "url": url}, timeout=60)
    answer.raise_for_status()
    body = answer.json()
    assert len(body["dropped"]) == drop and all(s == 200 for s in body["sent"].values())
    sim.clear_faults()
    created: list[dict[str, Any]] = body["contacts"]
    return created


async def decisions(router: RunningRouter, lead_ids: list[str]) -> dict[str, int]:
    """Decision-log lines per lead: one per routing that happened."""
    assert router.services is not None
    query = text(
        "SELECT lead_id, count(*) AS n FROM decision_log WHERE lead_id = ANY(CAST(:ids AS text[]))"
        " GROUP BY lead_id"
    )
    async with router.services.sessions() as session:
        return {r.lead_id: r.n for r in await session.execute(query, {"ids": lead_ids})}


async def deciding_events(router: RunningRouter, lead_ids: list[str]) -> dict[str, uuid.UUID]:
    """The event each lead's decision was made for."""
    assert router.services is not None
    query = text("SELECT lead_id, event_id FROM assignments WHERE lead_id = ANY(CAST(:ids AS text[]))")
    async with router.services.sessions() as session:
        return {r.lead_id: r.event_id for r in await session.execute(query, {"ids": lead_ids})}


async def all_routed(router: RunningRouter, lead_ids: list[str], timeout_s: float = 30.0) -> dict[str, int]:
    async def probe() -> dict[str, int] | None:
        seen = await decisions(router, lead_ids)
        return seen if len(seen) == len(lead_ids) else None

    return await eventually(probe, timeout_s)


def in_process(router: RunningRouter) -> InProcess:
    assert router.services is not None
    wired = router.services.extras["contact_reconcile"]
    assert isinstance(wired, InProcess)
    return wired


async def test_contacts_whose_webhook_never_came_are_routed_by_the_next_run(
    reconciling_router: RunningRouter, ghl_sim: GhlSim, ingest_url: str
) -> None:
    router = reconciling_router
    reserved_before = await router.reserved(LOCATION)
    created = await asyncio.to_thread(inbound, ghl_sim, ingest_url, 7, drop=5)  # 3 a page: 3 pages
    ids = [c["id"] for c in created]
    # the router's own loop, one interval apart: well inside the deadline on a loaded machine
    seen = await all_routed(router, ids, timeout_s=INTERVAL_S + 30)
    assert seen == {i: 1 for i in ids}
    await asyncio.sleep(INTERVAL_S * 1.5)  # at least one more run over the same window (overlap)
    assert await decisions(router, ids) == {i: 1 for i in ids}
    assert await router.reserved(LOCATION) == reserved_before + len(ids)
    route = await router.route_of(ids[0])
    assert route["assignment"]["location_id"] == LOCATION
    deciding = await deciding_events(router, ids)
    assert [deciding[i] == recovered_event_id(i) for i in ids] == [True] * 5 + [False] * 2


async def test_a_lead_coming_both_ways_is_routed_once_whichever_comes_first(
    reconciling_router: RunningRouter, ghl_sim: GhlSim, ingest_url: str
) -> None:
    router = reconciling_router
    services = router.services
    assert services is not None
    reserved_before = await router.reserved(LOCATION)
    mine = in_process(router).reconciler
    # a second replica's reconciler, with the router's connections and the same GHL client
    replica = build_reconciler(router.settings, services.sessions, mine.ghl, mine.publisher)
    # webhook first, the reconciler racing it (the event may still be on its way to a decision)
    webhooked = await asyncio.to_thread(inbound, ghl_sim, ingest_url, 4)
    # reconciler first, then GHL's late copy of the webhook for the same contacts
    dropped = await asyncio.to_thread(inbound, ghl_sim, ingest_url, 4, drop=4)
    await asyncio.gather(replica.run_once(), mine.run_once())
    for contact in dropped:
        result = await ghl_sim.webhooks.deliver(ingest_url, {"type": "ContactCreate", **contact})
        assert result.status == 200
    ids = [c["id"] for c in webhooked + dropped]
    await all_routed(router, ids)
    await asyncio.sleep(INTERVAL_S * 1.5)  # the late webhooks and another run have been read
    assert await decisions(router, ids) == {i: 1 for i in ids}
    assert await router.reserved(LOCATION) == reserved_before + len(ids)
    deciding = await deciding_events(router, ids)
    assert all(deciding[c["id"]] == recovered_event_id(c["id"]) for c in dropped)  # the late copy lost


async def test_the_watermark_survives_a_restart_and_one_replica_holds_an_account(
    reconciling_router: RunningRouter,
) -> None:
    router = reconciling_router
    services = router.services
    assert services is not None
    wired = in_process(router).reconciler
    await eventually(lambda: _watermark(router), timeout_s=INTERVAL_S + 20)
    # a restarted router (new owner) resumes at the stored watermark less the overlap
    restarted = build_reconciler(router.settings, services.sessions, wired.ghl, wired.publisher)
    [report] = await restarted.run_once(dry_run=True)
    assert report.resumed_from is not None and report.window_start is not None
    overlap = timedelta(seconds=router.settings.contact_reconcile_overlap_s)
    assert report.window_start == report.resumed_from - overlap
    # leases: an account is held by one replica at a time; a replica that lost it cannot write
    account = f"LEASE-{uuid.uuid4().hex[:6]}"
    first = ReconcileStore(services.sessions, "replica-a", lease_s=60)
    second = ReconcileStore(services.sessions, "replica-b", lease_s=60)
    assert await first.lease([account]) == {account: Watermark(None)}
    assert await second.lease([account]) == {}
    mark = Watermark(report.resumed_from, complete=False)
    with pytest.raises(LeaseLost):
        await second.save(account, mark)
    await first.save(account, mark)
    await first.release(account)
    assert await second.lease([account]) == {account: mark}


async def _watermark(router: RunningRouter) -> bool | None:
    assert router.services is not None
    query = text("SELECT reconciled_until FROM contact_reconcile WHERE intake_location_id = :id")
    async with router.services.sessions() as session:
        value = (await session.execute(query, {"id": INTAKE})).scalar_one_or_none()
    return True if value is not None else None
