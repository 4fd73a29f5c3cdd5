"""No over-booking across processes: four ``router serve`` processes share one consumer group, one
Postgres schema and one Redis prefix, and route more leads than the locations can take.

Demand: every location's own postal code gets ``LEADS_PER_LOCATION`` leads (twice its capacity),
so every location is wanted by far more leads than its daily limit. Each location must end exactly
at ``ceil(threshold x capacity)`` (decide.lua books while ``used < ratio x cap``), every lead must be
decided exactly once, and Postgres must agree with the Redis counters.
"""

from __future__ import annotations

import asyncio
import math
import os
import random
import subprocess
import sys
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import httpx
import pytest
import zipcodes
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from redis.asyncio import Redis

from leadflow_common.events.envelope import Envelope, decode_envelope, encode_envelope
from leadflow_common.events.locations import LocationProfile, LocationStatus
from leadflow_common.kafka.lag import read_consumer_lag
from leadflow_common.topics import GHL_EVENTS, LEADS_ASSIGNED, LOCATIONS, namespaced
from router.adapters.keys import RedisKeys
from router.settings import ROUTING_GROUP
from tests.integration.router.harness import delete_prefix
from tests.support.ghl import free_port
from tests.support.infra import Infra

PROCESSES = 4
LOCATIONS_COUNT = 200
# The issue asks for 20,000 leads (OVERBOOKING_LEADS_PER_LOCATION=100, capacity 50 → limit 45): it
# passes, but on this shared 2-core machine it took 197 s to decide (101 decisions/s, 3 min 40 s
# with start-up; add -o timeout=900). The default, 5,000 leads (capacity 12 → limit 11), decides in
# ~33 s (153/s) and keeps the whole test near 70 s.
LEADS_PER_LOCATION = int(os.environ.get("OVERBOOKING_LEADS_PER_LOCATION", "25"))
CAPACITY = LEADS_PER_LOCATION // 2  # demand is twice the total capacity
THRESHOLD = 0.9  # ROUTER_CAPACITY_THRESHOLD default
LEADS = LOCATIONS_COUNT * LEADS_PER_LOCATION  # twice the slots, over twice the bookable ones
LIMIT = math.ceil(THRESHOLD * CAPACITY)  # decide.lua books while used < 0.9 x cap: 0.9 x 50 → 45 a day
INTAKE = "INTAKE-LOC"
ROUTE_DEADLINE_S = 300.0


@dataclass
class Cluster:
    schema: str
    prefix: str
    ports: list[int]
    processes: list[subprocess.Popen[bytes]]
    logs: list[Path]

    def tails(self) -> str:
        return "\n".join(
            f"--- {p}\n" + "\n".join(p.read_text(errors="replace").splitlines()[-20:]) for p in self.logs
        )


def safe_timezone(now: datetime) -> str:
    """A zone whose local date will not change during the run (≥ 1 h from its midnight)."""
    for tz in ("America/Chicago", "Pacific/Honolulu", "Asia/Tokyo", "Europe/London"):
        local = now.astimezone(ZoneInfo(tz))
        if 1 <= local.hour <= 22:
            return tz
    raise AssertionError("no safe timezone")  # unreachable: these zones are hours apart


def pick_zips(count: int) -> list[dict[str, Any]]:
    rows = [r for r in zipcodes.list_all() if r.get("zip_code_type") == "STANDARD" and r.get("lat")]  # type: ignore[no-untyped-call]
    rows = [r for r in rows if r["state"] not in ("AA", "AE", "AP")]
    return sorted(random.Random(6).sample(rows, count), key=lambda r: r["zip_code"])


@pytest.fixture(scope="module")
def cluster(
    infra: Infra, router_schema: str, topic_namespace: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Cluster]:
    prefix = f"rover-{uuid.uuid4().hex[:8]}"
    folder = tmp_path_factory.mktemp("routers")
    ports = [free_port() for _ in range(PROCESSES)]
    env = (
        os.environ
        | infra.env
        | {
            "KAFKA_TOPIC_NAMESPACE": topic_namespace,
            "ROUTER_DB_SCHEMA": router_schema,
            "ROUTER_REDIS_PREFIX": prefix,
            "ROUTER_SYNC_ENABLED": "false",
            "ROUTER_INTAKE_LOCATION_IDS": f'["{INTAKE}"]',
            "ROUTER_DIRECTORY_WATCH_INTERVAL_S": "0.5",
            "LOG_LEVEL": "WARNING",  # 20,000 lead_routed lines would cost more CPU than the routing
        }
    )
    router_bin = str(Path(sys.executable).with_name("router"))
    processes, logs = [], []
    try:
        for n, port in enumerate(ports):
            log = folder / f"router-{n}.log"
            logs.append(log)
            processes.append(
                subprocess.Popen(
                    [router_bin, "serve"],
                    env=env | {"ROUTER_HTTP_PORT": str(port)},
                    stdout=log.open("wb"),
                    stderr=subprocess.STDOUT,
                )
            )
        running = Cluster(router_schema, prefix, ports, processes, logs)
        wait_ready(running)
        yield running
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)

        async def cleanup() -> None:
            redis = Redis.from_url(infra.redis_url)
            try:
                await delete_prefix(redis, prefix)
            finally:
                await redis.aclose()

        asyncio.run(cleanup())


def wait_ready(cluster: Cluster, timeout_s: float = 120.0) -> None:
    deadline = time.monotonic() + timeout_s
    pending = set(cluster.ports)
    while pending:
        for process in cluster.processes:
            assert process.poll() is None, f"a router exited ({process.returncode})\n{cluster.tails()}"
        for port in list(pending):
            try:
                if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200:
                    pending.discard(port)
            except httpx.TransportError:
                pass
        assert time.monotonic() < deadline, f"routers not ready: {pending}\n{cluster.tails()}"
        time.sleep(0.5)


async def publish_locations(infra: Infra, zips: list[dict[str, Any]], tz: str) -> list[str]:
    producer = AIOKafkaProducer(bootstrap_servers=infra.kafka, acks="all", enable_idempotence=True)
    await producer.start()
    ids = []
    try:
        for n, row in enumerate(zips):
            location_id = f"OVB-{n:04d}"
            ids.append(location_id)
            profile = LocationProfile(
                location_id=location_id, ghl_location_id=f"ghl-{location_id}", name=location_id,
                franchise_code=location_id, status=LocationStatus.ACTIVE, lat=float(row["lat"]),
                lon=float(row["long"]), timezone=tz, daily_capacity=CAPACITY, state=row["state"],
                postal_code=row["zip_code"],
            )  # fmt: skip
            value = encode_envelope(Envelope.wrap(profile, source="tests"))
            await producer.send(LOCATIONS.name, value=value, key=location_id.encode())
        await producer.flush()
    finally:
        await producer.stop()
    return ids


async def publish_contacts(infra: Infra, leads: list[tuple[str, str]]) -> None:
    """ContactCreate envelopes as ingest writes them: key = contact id, locationId = intake id."""
    producer = AIOKafkaProducer(bootstrap_servers=infra.kafka, acks="all", enable_idempotence=True,
                                linger_ms=5, max_batch_size=256 * 1024)  # fmt: skip
    await producer.start()
    try:
        for lead_id, zip_code in leads:
            body = {"type": "ContactCreate", "id": lead_id, "locationId": INTAKE, "postalCode": zip_code}
            envelope = Envelope(event_id=uuid.uuid4(), event_type="ContactCreate", source="ingest",
                                payload=body)  # fmt: skip
            await producer.send(GHL_EVENTS.name, value=encode_envelope(envelope), key=lead_id.encode())
        await producer.flush()
    finally:
        await producer.stop()


async def wait_directory(redis: Redis, prefix: str, expected: int, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while await redis.zcard(RedisKeys(prefix).geo) < expected:
        assert time.monotonic() < deadline, "locations did not reach the Redis directory"
        await asyncio.sleep(0.2)


async def wait_routed(kafka: str, expected: int, cluster: Cluster) -> None:
    """Until the router group has committed every ContactCreate (lag 0 on all partitions)."""
    group = namespaced(ROUTING_GROUP)
    deadline = time.monotonic() + ROUTE_DEADLINE_S
    while True:
        lags = [x for x in await read_consumer_lag(kafka, group) if x.topic == GHL_EVENTS.name]
        ends = sum(x.log_end for x in lags)
        if len(lags) == GHL_EVENTS.partitions and ends == expected and all(x.lag == 0 for x in lags):
            return
        for process in cluster.processes:
            assert process.poll() is None, f"a router exited\n{cluster.tails()}"
        assert time.monotonic() < deadline, f"lag left: {sum(x.lag for x in lags)}\n{cluster.tails()}"
        await asyncio.sleep(1.0)


async def read_topic(kafka: str, topic: str) -> list[Any]:
    """Every record on ``topic`` up to its current end."""
    consumer = AIOKafkaConsumer(bootstrap_servers=kafka, group_id=None, enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or set()]
        if not partitions:
            partitions = [TopicPartition(topic, p) for p in range(LEADS_ASSIGNED.partitions)]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        records: list[Any] = []
        while [tp for tp in partitions if await consumer.position(tp) < ends[tp]]:
            batch = await consumer.getmany(timeout_ms=1000, max_records=5000)
            for items in batch.values():
                records.extend(items)
        return records
    finally:
        await consumer.stop()


async def test_four_processes_never_overbook(cluster: Cluster, infra: Infra) -> None:
    tz = safe_timezone(datetime.now(UTC))
    zips = pick_zips(LOCATIONS_COUNT)
    redis = Redis.from_url(infra.redis_url)
    try:
        location_ids = await publish_locations(infra, zips, tz)
        await wait_directory(redis, cluster.prefix, LOCATIONS_COUNT)

        leads = [
            (f"c-{uuid.uuid4().hex[:12]}", row["zip_code"]) for row in zips for _ in range(LEADS_PER_LOCATION)
        ]
        random.Random(7).shuffle(leads)
        started = time.monotonic()
        await publish_contacts(infra, leads)
        published = time.monotonic()
        await wait_routed(infra.kafka, LEADS, cluster)
        elapsed = time.monotonic() - started
        print(f"\n{LEADS} leads, {PROCESSES} routers: published in {published - started:.1f}s, "
              f"all decided in {elapsed:.1f}s ({LEADS / elapsed:.0f} decisions/s)")  # fmt: skip

        # Every lead decided exactly once on leads.assigned.v1 (a redelivery may republish the
        # same event: consumers dedupe on the event id, so count distinct ids per lead).
        events: dict[str, set[tuple[str, str, str | None]]] = defaultdict(set)
        for record in await read_topic(infra.kafka, LEADS_ASSIGNED.name):
            envelope = decode_envelope(record.value)
            location = envelope.payload.get("location_id")
            events[record.key.decode()].add((str(envelope.event_id), envelope.event_type, location))
        assert set(events) == {lead for lead, _ in leads}
        assert all(len(seen) == 1 for seen in events.values()), "a lead decided more than once"
        kinds = Counter(next(iter(seen))[1] for seen in events.values())
        assert kinds == Counter(
            {"LeadAssigned": LOCATIONS_COUNT * LIMIT, "LeadUnassigned": LEADS - LOCATIONS_COUNT * LIMIT}
        )
        on_topic = Counter(
            next(iter(seen))[2] for seen in events.values() if next(iter(seen))[1] == "LeadAssigned"
        )
        assert on_topic == Counter({loc: LIMIT for loc in location_ids})

        # Postgres: one assignment and one decision per lead; per location and day == the limit.
        conn = await asyncpg.connect(infra.admin_db_url)
        try:
            schema = f'"{cluster.schema}"'
            assert await conn.fetchval(f"SELECT count(*) FROM {schema}.assignments") == LEADS
            assert await conn.fetchval(f"SELECT count(DISTINCT lead_id) FROM {schema}.decision_log") == LEADS
            assert await conn.fetchval(f"SELECT count(*) FROM {schema}.decision_log") == LEADS
            rows = await conn.fetch(
                f"SELECT location_id, capacity_date, count(*) AS n FROM {schema}.assignments "
                "WHERE location_id IS NOT NULL GROUP BY location_id, capacity_date"
            )
        finally:
            await conn.close()
        in_postgres = {(r["location_id"], r["capacity_date"].isoformat()): r["n"] for r in rows}
        day = datetime.now(UTC).astimezone(ZoneInfo(tz)).date().isoformat()
        assert in_postgres == {(loc, day): LIMIT for loc in location_ids}

        # Redis: the capacity counters are exactly the Postgres counts (no other counter exists).
        in_redis = {}
        counters = RedisKeys(cluster.prefix).match("cap:")
        async for key in redis.scan_iter(match=f"{counters}*", count=1000):
            location_id, counter_day = key.decode().removeprefix(counters).split(":")
            in_redis[(location_id, counter_day)] = int(await redis.get(key))
        assert in_redis == in_postgres
    finally:
        await redis.aclose()
