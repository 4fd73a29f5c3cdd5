"""Postgres restarted while leads flow (router and analytics on a private Postgres): consumers
retry and catch up; no message is skipped (every lead decided once, synced, and counted)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from leadflow_common.topics import GHL_EVENTS, LEADS_ASSIGNED
from leadflow_system.rig import produce_webhooks, profiles_from_csv, read_decisions, rig_system
from leadflow_system.seed import contacts_of, seed
from leadflow_system.system import LocalSystem
from tests.support.fault_checks import LOCATIONS_CSV, analytics_totals, lead_bodies, wait_for
from tests.support.infra import Infra
from tests.support.private_servers import PrivatePostgres, private_postgres

LEADS = 800
LIMITS = {"RATE_LIMIT_MAX": "5000", "RATE_LIMIT_INTERVAL_MS": "1000"}  # sync paced by the test, not GHL


@pytest.fixture(scope="module")
def postgres() -> Iterator[PrivatePostgres]:
    with private_postgres() as running:
        yield running


@pytest.fixture(scope="module")
def rig(
    infra: Infra, postgres: PrivatePostgres, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LocalSystem]:
    profiles = profiles_from_csv(LOCATIONS_CSV, 16)
    extra = {f"GHLSIM_{k}": v for k, v in LIMITS.items()} | {f"GHL_{k}": v for k, v in LIMITS.items()}
    with rig_system(
        {**infra.env, **postgres.env()},
        tmp_path_factory.mktemp("pg-logs"),
        f"{infra.namespace}.pg",
        profiles,
        services=("router", "analytics"),
        extra_env=extra,
    ) as system:
        yield system


async def test_postgres_restarted(rig: LocalSystem, postgres: PrivatePostgres, infra: Infra) -> None:
    bodies = lead_bodies(LEADS, seed=41)
    seed(rig.url("ghl-simulator"), contacts=contacts_of(bodies))
    flow = asyncio.create_task(produce_webhooks(infra.kafka, GHL_EVENTS.name, bodies, rate_per_s=60))
    await asyncio.sleep(4)
    await asyncio.to_thread(postgres.stop)
    await asyncio.sleep(10)
    await asyncio.to_thread(postgres.start)
    await flow

    decisions = await read_decisions(infra.kafka, LEADS_ASSIGNED.name, LEADS, timeout_s=180, settle_s=3)
    assert set(decisions.by_lead) == {b["id"] for b in bodies}
    assert decisions.twice() == {}, "a lead was decided twice"
    assigned, pooled = decisions.assigned(), decisions.unassigned()

    async def synced() -> bool:
        got = await read_decisions(infra.kafka, LEADS_ASSIGNED.name, LEADS, timeout_s=10, settle_s=0)
        return got.synced == set(assigned)

    await wait_for(synced, 120, "LeadSynced for every assigned lead")

    async def analytics_equal() -> dict[str, int] | None:
        totals = await analytics_totals(rig)
        return totals if (totals["leads"], totals["unassigned"]) == (len(assigned), len(pooled)) else None

    await wait_for(analytics_equal, 120, "analytics totals equal to the decisions")
