"""Helpers of the onboarding integration tests: settings for a throwaway schema, CSV subsets,
polling the schema, and reading the service's topics."""

from __future__ import annotations

import asyncio
import csv
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import asyncpg
import orjson
from aiokafka import AIOKafkaConsumer, TopicPartition

from leadflow_common.topics import TopicSpec, namespaced
from onboarding.settings import OnboardingSettings
from tests.support.ghl import GhlSim
from tests.support.infra import REPO, Infra
from tests.support.kafka_io import read_all

SAMPLES = REPO / "services" / "onboarding" / "samples"


def onboarding_settings(infra: Infra, schema: str, group: str, **overrides: Any) -> OnboardingSettings:
    values: dict[str, Any] = {
        "database_url": infra.service_db_url("onboarding"),
        "db_schema": schema,
        "consumer_group": group,
        "step_backoff_s": 0.05,
        "step_backoff_max_s": 0.2,
        "push_poll_initial_s": 0.1,
        "push_poll_max_s": 0.3,
        "push_poll_budget_s": 10,
        "lease_s": 2.0,
        "scheduler_poll_s": 0.2,
        "lag_interval_s": 1.0,
    }
    return OnboardingSettings(**(values | overrides))


def cli_env(infra: Infra, schema: str, sim: GhlSim) -> dict[str, str]:
    """What the onboarding CLI reads: the schema, and GHL (the import checks names against it)."""
    ghl = sim.settings()
    return {
        **infra.env,
        "ONBOARDING_DATABASE_URL": infra.service_db_url("onboarding"),
        "ONBOARDING_DB_SCHEMA": schema,
        "GHL_BASE_URL": ghl.base_url,
        "GHL_AGENCY_TOKEN": ghl.agency_token,
        "GHL_COMPANY_ID": ghl.company_id,
        "GHL_APP_ID": ghl.app_id,
        "GHL_RATE_LIMIT_MAX": str(ghl.rate_limit_max),
        "GHL_RATE_LIMIT_INTERVAL_MS": str(ghl.rate_limit_interval_ms),
        "GHL_REDIS_PREFIX": ghl.redis_prefix,
    }


def csv_subset(source: Path, target: Path, rows: slice) -> list[dict[str, str]]:
    with source.open() as fh:
        reader = csv.DictReader(fh)
        header = list(reader.fieldnames or [])
        chosen = list(reader)[rows]
    with target.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=header)
        writer.writeheader()
        writer.writerows(chosen)
    return chosen


async def statuses(infra: Infra, schema: str, keys: list[str]) -> dict[str, str]:
    conn = await asyncpg.connect(infra.admin_db_url)
    try:
        rows = await conn.fetch(
            f'SELECT location_id, status FROM "{schema}".locations WHERE location_id = ANY($1)', keys
        )
        return {r["location_id"]: r["status"] for r in rows}
    finally:
        await conn.close()


async def done_steps(infra: Infra, schema: str, step: str) -> int:
    conn = await asyncpg.connect(infra.admin_db_url)
    try:
        return int(
            await conn.fetchval(
                f"SELECT count(*) FROM \"{schema}\".saga_steps WHERE step = $1 AND status = 'done'", step
            )
        )
    finally:
        await conn.close()


async def wait_until(check: Callable[[], Awaitable[bool]], timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s}s waiting for {what}")
        await asyncio.sleep(0.2)


async def wait_statuses(
    infra: Infra, schema: str, keys: list[str], wanted: set[str], timeout_s: float
) -> None:
    async def check() -> bool:
        got = await statuses(infra, schema, keys)
        return len(got) == len(keys) and set(got.values()) <= wanted

    await wait_until(check, timeout_s, f"{keys[:3]}... to reach {wanted}")


async def events_for(infra: Infra, topic: str, keys: set[str], expected: int) -> list[tuple[str, Any]]:
    """(key, decoded value or None) of the records of ``topic`` whose key is in ``keys``."""
    found: list[tuple[str, Any]] = []
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        records = await read_all(infra.kafka, topic, expected=10**9, timeout_s=2)
        found = [
            (r.key.decode(), orjson.loads(r.value) if r.value else None)
            for r in records
            if r.key and r.key.decode() in keys
        ]
        if len(found) >= expected:
            break
    return found


async def topic_size(bootstrap: str, topic: TopicSpec) -> int:
    """Sum of the log-end offsets of ``topic``: grows by one per record written."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        ends = await consumer.end_offsets([TopicPartition(topic.name, p) for p in range(topic.partitions)])
        return sum(ends.values())
    finally:
        await consumer.stop()


async def start_group_at_end(bootstrap: str, topic: TopicSpec, group: str) -> None:
    """Commit ``group`` at the topic's end, so a fresh group ignores earlier tests' commands."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, group_id=namespaced(group), enable_auto_commit=False
    )
    await consumer.start()
    try:
        partitions = [TopicPartition(topic.name, p) for p in range(topic.partitions)]
        consumer.assign(partitions)
        ends = await consumer.end_offsets(partitions)
        await consumer.commit(dict(ends.items()))
    finally:
        await consumer.stop()
