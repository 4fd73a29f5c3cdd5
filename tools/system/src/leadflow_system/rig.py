"""Driving the consumers directly, for fault tests and the end-to-end benchmark.

- ``profiles_from_csv``: a location directory (LocationProfile, active) built from an onboarding
  CSV, published straight onto ``locations.v1`` (what onboarding publishes on activation), with
  the same sub-accounts seeded into the simulator so GHL sync can write into them.
- ``webhook_record`` / ``produce_webhooks``: bulk ContactCreate events on ``ghl.events.v1`` exactly
  as ingest publishes them (event_id = uuid5 of the webhookId, key = contact id, payload = body).
- ``read_decisions``: every decision record on ``leads.assigned.v1`` with its event id, so a
  republished decision (same event id) is told apart from a second decision (a new event id).
"""

from __future__ import annotations

import asyncio
import csv
import os
import uuid
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson
import zipcodes
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.structs import TopicPartition

from leadflow_common.events.envelope import Envelope, encode_envelope
from leadflow_common.events.locations import LocationProfile, LocationStatus
from leadflow_common.kafka.admin import ensure_topics
from leadflow_common.topics import LOCATIONS
from leadflow_system.observe import MOVE_RULES
from leadflow_system.seed import seed
from leadflow_system.system import API_TOKEN, SERVICES, LocalSystem

# The same namespace as ingest.domain.webhook.EVENT_ID_NAMESPACE (a test asserts they are equal):
# this package does not depend on the ingest service.
EVENT_ID_NAMESPACE = uuid.UUID("6f1c9a52-3b8e-5d47-9a0e-2c4b7d81e5f3")


def webhook_event_id(webhook_id: str) -> uuid.UUID:
    return uuid.uuid5(EVENT_ID_NAMESPACE, f"webhook:{webhook_id}")


def webhook_record(body: dict[str, Any]) -> tuple[str, bytes]:
    """(key, value) of the event ingest publishes for this webhook body."""
    envelope = Envelope(
        event_id=webhook_event_id(body["webhookId"]),
        event_type=body["type"],
        source="ingest",
        payload=body,
    )
    key = body.get("id") or body.get("contactId") or str(envelope.event_id)
    return str(key), encode_envelope(envelope)


async def produce_records(
    bootstrap: str, topic: str, records: list[tuple[str, bytes]], rate_per_s: float | None = None
) -> None:
    """Idempotent acks=all producer; ``rate_per_s`` paces the sends (None: as fast as possible)."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True, linger_ms=5)
    await producer.start()
    try:
        loop = asyncio.get_running_loop()
        started = loop.time()
        pending = []
        for index, (key, value) in enumerate(records):
            if rate_per_s:
                delay = started + index / rate_per_s - loop.time()
                if delay > 0:
                    await asyncio.sleep(delay)
            pending.append(await producer.send(topic, value=value, key=key.encode()))
        await asyncio.gather(*pending)
    finally:
        await producer.stop()


async def produce_webhooks(
    bootstrap: str, topic: str, bodies: list[dict[str, Any]], rate_per_s: float | None = None
) -> None:
    await produce_records(bootstrap, topic, [webhook_record(b) for b in bodies], rate_per_s)


def profiles_from_csv(csv_path: Path, count: int, capacity: int | None = None) -> list[LocationProfile]:
    """Up to ``count`` active locations from an onboarding CSV (its zip codes geocoded offline)."""
    out: list[LocationProfile] = []
    with csv_path.open(newline="") as handle:
        for row in csv.DictReader(handle):
            if len(out) >= count:
                break
            match = zipcodes.matching(row["Zip Code"].strip())  # type: ignore[no-untyped-call]
            if not match or not match[0].get("lat"):
                continue
            code = row["Franchise Code"].strip().upper()
            out.append(
                LocationProfile(
                    location_id=code,
                    ghl_location_id=f"ghl{code.replace('-', '')}",
                    name=row["Location Name"].strip(),
                    franchise_code=code,
                    status=LocationStatus.ACTIVE,
                    lat=float(match[0]["lat"]),
                    lon=float(match[0]["long"]),
                    geocode_method="postal_code",
                    timezone=row["Timezone"].strip() or match[0].get("timezone") or "America/New_York",
                    daily_capacity=capacity if capacity is not None else int(row["Capacity Limit"]),
                    city=row["City"].strip(),
                    state=row["State"].strip(),
                    postal_code=row["Zip Code"].strip(),
                )
            )
    return out


def profile_record(profile: LocationProfile) -> tuple[str, bytes]:
    return profile.location_id, encode_envelope(Envelope.wrap(profile, source="onboarding"))


def sim_location(profile: LocationProfile) -> dict[str, Any]:
    """The profile's sub-account as the simulator's seed API takes it."""
    return {
        "id": profile.ghl_location_id,
        "name": profile.name,
        "city": profile.city,
        "state": profile.state,
        "postalCode": profile.postal_code,
        "country": "US",
        "timezone": profile.timezone,
    }


@dataclass
class Decisions:
    """Decisions read from leads.assigned.v1: lead -> {decision event id: location or None}, in the
    order they were published (one lead's events share a partition)."""

    by_lead: dict[str, dict[str, str | None]] = field(default_factory=lambda: defaultdict(dict))
    rules: dict[str, str] = field(default_factory=dict)  # decision event id -> rule
    synced: set[str] = field(default_factory=set)
    records: int = 0

    @property
    def decided(self) -> int:
        return len(self.by_lead)

    def twice(self) -> dict[str, dict[str, str | None]]:
        """Leads routed more than once: more than one distinct decision (a republish keeps its
        event id) that is not a move (a pooled lead re-driven when its reason went away, say)."""
        return {
            lead: d
            for lead, d in self.by_lead.items()
            if sum(self.rules.get(event_id) not in MOVE_RULES for event_id in d) > 1
        }

    def final(self) -> dict[str, str | None]:
        """Each lead's latest decision: its location, or None while it is in the pool."""
        return {lead: list(d.values())[-1] for lead, d in self.by_lead.items()}

    def assigned(self) -> dict[str, str]:
        return {lead: loc for lead, loc in self.final().items() if loc is not None}

    def unassigned(self) -> set[str]:
        return {lead for lead, loc in self.final().items() if loc is None}


async def read_decisions(
    bootstrap: str, topic: str, until_decided: int, timeout_s: float, settle_s: float = 2.0
) -> Decisions:
    """Read ``topic`` from the start until ``until_decided`` leads have a decision and nothing new
    arrived for ``settle_s`` (so late duplicates would be seen), or until the deadline."""
    decisions = Decisions()
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", enable_auto_commit=False
    )
    await consumer.start()
    try:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        quiet_since = loop.time()
        while loop.time() < deadline:
            batch = await consumer.getmany(timeout_ms=500)
            if any(batch.values()):
                quiet_since = loop.time()
            for records in batch.values():
                for record in records:
                    if not record.value:
                        continue
                    decisions.records += 1
                    try:
                        envelope = orjson.loads(record.value)
                    except orjson.JSONDecodeError:
                        continue  # a poison message (the fault tests put some there)
                    payload = envelope.get("payload") if isinstance(envelope, dict) else None
                    if not isinstance(payload, dict):
                        continue
                    lead = payload.get("lead_id", "")
                    kind = envelope.get("event_type")
                    if kind in ("LeadAssigned", "LeadUnassigned"):
                        location = payload["location_id"] if kind == "LeadAssigned" else None
                        decisions.by_lead[lead][envelope["event_id"]] = location
                        decisions.rules[envelope["event_id"]] = str(payload.get("rule", ""))
                    elif kind == "LeadSynced":
                        decisions.synced.add(lead)
            if decisions.decided >= until_decided and loop.time() - quiet_since >= settle_s:
                break
        return decisions
    finally:
        await consumer.stop()


async def end_offsets(bootstrap: str, topics: list[str]) -> dict[str, int]:
    """Sum of the end offsets of each topic (how many records were ever written to it)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        described = await admin.describe_topics(topics)
    finally:
        await admin.close()
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        out: dict[str, int] = {}
        for topic in described:
            tps = [TopicPartition(topic["topic"], p["partition"]) for p in topic["partitions"]]
            out[topic["topic"]] = sum((await consumer.end_offsets(tps)).values()) if tps else 0
        return out
    finally:
        await consumer.stop()


@contextmanager
def topic_namespace(namespace: str) -> Iterator[None]:
    """Topic names (``TopicSpec.name``) resolve under ``namespace`` inside the block."""
    previous = os.environ.get("KAFKA_TOPIC_NAMESPACE")
    os.environ["KAFKA_TOPIC_NAMESPACE"] = namespace
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("KAFKA_TOPIC_NAMESPACE", None)
        else:
            os.environ["KAFKA_TOPIC_NAMESPACE"] = previous


@contextmanager
def rig_system(
    infra_env: dict[str, str],
    log_dir: Path,
    namespace: str,
    profiles: list[LocationProfile],
    services: tuple[str, ...] = SERVICES,
    extra_env: dict[str, str] | None = None,
) -> Iterator[LocalSystem]:
    """The simulator and ``services`` as processes on ``infra_env``'s servers, in their own topic
    namespace (topics created here) and schemas, with ``profiles`` in the directory: published on
    locations.v1, seeded into the simulator, and (with the router running) routable. Topic names
    resolve in ``namespace`` while the block runs."""
    run_id = f"rig{uuid.uuid4().hex[:8]}"
    env = {**infra_env, "KAFKA_TOPIC_NAMESPACE": namespace}
    system = LocalSystem(env, log_dir, run_id, extra_env=dict(extra_env or {}))
    with topic_namespace(namespace):
        asyncio.run(ensure_topics(env["KAFKA_BOOTSTRAP_SERVERS"]))
        system.migrate()
        try:
            system.start(("ghl-simulator", *services))
            seed(system.url("ghl-simulator"), locations=[sim_location(p) for p in profiles])
            asyncio.run(
                produce_records(
                    env["KAFKA_BOOTSTRAP_SERVERS"], LOCATIONS.name, [profile_record(p) for p in profiles]
                )
            )
            if "router" in services and profiles:
                asyncio.run(wait_routable(system, profiles[-1].location_id))
            yield system
        finally:
            system.stop()


async def wait_routable(system: LocalSystem, location_id: str, timeout_s: float = 60.0) -> None:
    """Until the router's directory has ``location_id`` (its capacity endpoint answers 200)."""
    headers = {"Authorization": f"Bearer {API_TOKEN}"}
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    async with httpx.AsyncClient(base_url=system.url("router"), timeout=5) as client:
        while loop.time() < deadline:
            response = await client.get(f"/locations/{location_id}/capacity", headers=headers)
            if response.status_code == 200:
                return
            await asyncio.sleep(0.3)
    raise TimeoutError(f"{location_id} not in the router's directory after {timeout_s:.0f}s")
