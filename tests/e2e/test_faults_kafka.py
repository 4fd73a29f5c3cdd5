"""The Kafka broker stopped for 30 s under webhook load (the system on a private broker): ingest
answers 429 meanwhile, GHL's retries get through once it is back, and every webhook acknowledged
with 200 (first time or after retries) is routed exactly once."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from ghl_simulator.webhooks import DeliveryResult, WebhookSender
from leadflow_common.topics import LEADS_ASSIGNED
from leadflow_system.rig import profiles_from_csv, read_decisions, rig_system
from leadflow_system.seed import contacts_of, seed
from leadflow_system.system import LocalSystem
from tests.support.fault_checks import LOCATIONS_CSV, lead_bodies
from tests.support.infra import Infra, drop_schema
from tests.support.private_kafka import PrivateKafka, private_kafka

LEADS = 1_600
RATE = 40.0  # webhooks/s: the load spans the outage
OUTAGE_S = 30.0


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
        extra_env={"ROUTER_SYNC_ENABLED": "false", "INGEST_PRODUCE_TIMEOUT_S": "2"},
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
