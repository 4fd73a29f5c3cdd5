"""Redis restarted empty while leads flow (the router on a private Redis, small daily capacities):
the router rebuilds its directory and its capacity counters from Postgres and over-books nothing."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from leadflow_common.topics import GHL_EVENTS, LEADS_ASSIGNED
from leadflow_system.rig import produce_webhooks, profiles_from_csv, read_decisions, rig_system
from leadflow_system.system import LocalSystem
from tests.support.fault_checks import LOCATIONS_CSV, capacity_report, lead_bodies, wait_for
from tests.support.infra import Infra, drop_schema
from tests.support.private_servers import PrivateRedis, private_redis

CAPACITY = 12  # per location per day; 16 locations: 192 slots for 500 leads
FIRST, SECOND = 200, 300


@pytest.fixture(scope="module")
def redis() -> Iterator[PrivateRedis]:
    with private_redis() as running:
        yield running


@pytest.fixture(scope="module")
def rig(infra: Infra, redis: PrivateRedis, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalSystem]:
    profiles = profiles_from_csv(LOCATIONS_CSV, 16, capacity=CAPACITY)
    with rig_system(
        {**infra.env, "REDIS_URL": redis.url},
        tmp_path_factory.mktemp("redis-logs"),
        f"{infra.namespace}.redis",
        profiles,
        services=("router",),
        extra_env={"ROUTER_SYNC_ENABLED": "false"},
    ) as system:
        try:
            yield system
        finally:
            for service in ("router", "onboarding", "analytics"):
                drop_schema(infra, system.schema(service))


async def test_redis_restarted_empty(rig: LocalSystem, redis: PrivateRedis, infra: Infra) -> None:
    bodies = lead_bodies(FIRST + SECOND, seed=31)
    await produce_webhooks(infra.kafka, GHL_EVENTS.name, bodies[:FIRST])

    async def half_decided() -> bool:
        got = await read_decisions(infra.kafka, LEADS_ASSIGNED.name, 0, timeout_s=2, settle_s=0)
        return got.decided >= FIRST // 2

    await wait_for(half_decided, 60, "routing under way")
    await asyncio.to_thread(redis.restart_empty)  # leads in flight
    await produce_webhooks(infra.kafka, GHL_EVENTS.name, bodies[FIRST:])

    decisions = await read_decisions(infra.kafka, LEADS_ASSIGNED.name, len(bodies), timeout_s=120, settle_s=3)
    assert set(decisions.by_lead) == {b["id"] for b in bodies}
    assert decisions.twice() == {}, "a lead was decided twice"
    assigned = decisions.assigned()
    assert {b["id"] for b in bodies[FIRST:]} & set(assigned), "directory not rebuilt: nothing assigned after"

    counters, booked = await capacity_report(rig, infra.service_db_url("router"))
    assert max(booked.values()) <= CAPACITY, f"over-booked: {booked}"
    assert max(booked.values()) >= int(CAPACITY * 0.9), "the limit never mattered"
    assert sum(booked.values()) == len(assigned)
    assert counters == booked
