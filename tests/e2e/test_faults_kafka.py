"""The Kafka broker stopped for 30 s under webhook load (the system on a private broker): ingest
answers 429 meanwhile, GHL's retries get through once it is back, and every webhook acknowledged
with 200 (first time or after retries) is routed exactly once.

Then the same outage with the GHL simulator retrying on its own, like GHL (issue 15): each
delivery in the background, the same signed bytes 10 minutes apart on a compressed clock, their
timestamps as old as GHL's retries would be (about an hour: the old 5-minute rule would have
answered 401, final for GHL). Every lead is accepted on a late retry and routed exactly once, the
same event sent twice included.
"""

from __future__ import annotations

import asyncio
import copy
from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from ghl_simulator.webhooks import DeliveryResult, WebhookSender
from leadflow_common.topics import LEADS_ASSIGNED
from leadflow_system.rig import Decisions, profiles_from_csv, read_decisions, rig_system
from leadflow_system.seed import contacts_of, seed
from leadflow_system.system import LocalSystem
from tests.support.fault_checks import LOCATIONS_CSV, capacity_report, lead_bodies, wait_for
from tests.support.infra import Infra, drop_schema
from tests.support.private_kafka import PrivateKafka, private_kafka

LEADS = 1_600
RATE = 40.0  # webhooks/s: the load spans the outage
OUTAGE_S = 30.0
LATE_LEADS = 60
SAME_EVENT_TWICE = 10  # GHL sends some events twice: one webhookId, copies racing through ingest
SPEEDUP = 100  # the simulator's clock: a 10-minute wait lasts 6 s, 6 retries span ~50 s
OLD_RULE_S = 300  # the 5-minute rule ingest had
HORIZON_S = 4_500  # ingest's default INGEST_TIMESTAMP_MAX_AGE_S


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrivateKafka]:
    with private_kafka(Path(tmp_path_factory.mktemp("kafka-home")), topics=[]) as running:
        yield running


@pytest.fixture(scope="module")
def rig(
    infra: Infra, broker: PrivateKafka, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LocalSystem]:
    env = {**infra.env, "KAFKA_BOOTSTRAP_SERVERS": broker.bootstrap}
    profiles = profiles_from_csv(LOCATIONS_CSV, 16)
    with rig_system(
        env,
        tmp_path_factory.mktemp("kafka-logs"),
        "kafkafault",
        profiles,
        services=("ingest", "router"),
        extra_env={
            "ROUTER_SYNC_ENABLED": "false",
            "INGEST_PRODUCE_TIMEOUT_S": "2",
            "GHLSIM_WEBHOOK_CLOCK_SPEEDUP": str(SPEEDUP),
        },
    ) as system:
        try:
            yield system
        finally:
            for service in ("router", "onboarding", "analytics"):
                drop_schema(infra, system.schema(service))


async def test_broker_down_30s_under_load(rig: LocalSystem, broker: PrivateKafka) -> None:
    bodies = lead_bodies(LEADS, seed=21)
    seed(rig.url("ghl-simulator"), contacts=contacts_of(bodies))
    sender = WebhookSender.with_test_keys(retry_interval_s=1.0, max_retries=90)
    url = rig.url("ingest") + "/webhooks/ghl"
    gate = asyncio.Semaphore(64)

    async def one(body: dict[str, object]) -> DeliveryResult:
        async with gate:
            return await sender.deliver(url, body)

    async def paced() -> list[DeliveryResult]:
        tasks = []
        for body in bodies:
            tasks.append(asyncio.create_task(one(body)))
            await asyncio.sleep(1 / RATE)
        return await asyncio.gather(*tasks)

    load = asyncio.create_task(paced())
    await asyncio.sleep(5)
    await broker.astop()
    await asyncio.sleep(OUTAGE_S)
    await broker.astart()
    results = await load

    assert {r.status for r in results} == {200}, "a webhook was not accepted in the end"
    retried = [r for r in results if r.attempts > 1]
    assert retried and all(set(r.statuses[:-1]) == {429} for r in retried), "only 429s are retried"

    decisions = await read_decisions(broker.bootstrap, LEADS_ASSIGNED.name, LEADS, timeout_s=180, settle_s=3)
    assert set(decisions.by_lead) == {b["id"] for b in bodies}
    assert decisions.twice() == {}, "a lead was decided twice"


def _epoch(iso: str) -> float:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


async def test_webhooks_refused_429_in_an_outage_are_accepted_late_and_routed_once(
    rig: LocalSystem, broker: PrivateKafka, infra: Infra
) -> None:
    bodies = lead_bodies(LATE_LEADS, seed=15)
    seed(rig.url("ghl-simulator"), contacts=contacts_of(bodies))
    payloads = bodies + [copy.deepcopy(b) for b in bodies[:SAME_EVENT_TWICE]]
    async with httpx.AsyncClient(base_url=rig.url("ghl-simulator") + "/admin/webhooks", timeout=30) as sim:

        async def deliveries() -> list[dict[str, Any]]:
            response = await sim.get("/deliveries")
            response.raise_for_status()
            rows: list[dict[str, Any]] = response.json()["deliveries"]
            return rows

        await broker.astop()
        url = rig.url("ingest") + "/webhooks/ghl"
        assert (await sim.post("/deliveries", json={"url": url, "payloads": payloads})).status_code == 202

        async def all_tried() -> bool:
            rows = await deliveries()
            return len(rows) == len(payloads) and all(r["statuses"] for r in rows)

        await wait_for(all_tried, 60, "a first attempt of every delivery")
        assert {r["statuses"][0] for r in await deliveries()} == {429}, "the outage did not answer 429"
        await broker.astart()

        async def all_final() -> list[dict[str, Any]] | None:
            rows = await deliveries()
            return rows if all(r["state"] != "pending" for r in rows) else None

        rows = await wait_for(all_final, 150, "every delivery final")

    assert 401 not in {s for r in rows for s in r["statuses"]}, "a late retry was refused as stale"
    for row in rows:
        *refused, accepted = row["statuses"]
        assert row["state"] == "delivered" and refused and set(refused) == {429} and accepted == 200, row
        # the age the receiver's clock saw on the accepted retry: what GHL's late retry carries
        age = _epoch(row["attempts"][-1]["sent_at"]) - _epoch(row["timestamp"])
        assert OLD_RULE_S < age < HORIZON_S, age
    twice = [n for n in Counter(r["webhook_id"] for r in rows).values() if n == 2]
    assert len(twice) == SAME_EVENT_TWICE

    mine = {b["id"] for b in bodies}  # the first test's leads are on the topic too

    async def decided() -> Decisions | None:
        found = await read_decisions(broker.bootstrap, LEADS_ASSIGNED.name, 10**9, timeout_s=3, settle_s=0)
        return found if mine <= found.by_lead.keys() else None

    await wait_for(decided, 120, "a decision for every late lead")
    # read again: a second decision for a lead would come after its first
    decisions = await read_decisions(broker.bootstrap, LEADS_ASSIGNED.name, 10**9, timeout_s=3, settle_s=0)
    assert {lead: d for lead, d in decisions.twice().items() if lead in mine} == {}, (
        "a lead was decided twice"
    )
    counters, booked = await capacity_report(rig, infra.service_db_url("router"))
    assert counters == booked, "capacity counted twice for a lead"
