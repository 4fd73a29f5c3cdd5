"""A router running in-process against the real Kafka, Postgres and Redis, plus test helpers."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx
from asgi_lifespan import LifespanManager
from redis.asyncio import Redis

from leadflow_common.events.envelope import Envelope, encode_envelope
from leadflow_common.events.locations import BusinessHours, LocationProfile, LocationStatus
from leadflow_common.ghl import GhlSettings
from leadflow_common.settings import KafkaSettings, RedisSettings
from leadflow_common.topics import GHL_EVENTS, LOCATIONS
from router.main import create_app
from router.services import RouterServices
from router.settings import RouterSettings
from tests.support.infra import Infra
from tests.support.kafka_io import produce
from tests.support.task_dump import dump_tasks

T = TypeVar("T")
INTAKE = "INTAKE-LOC"


def router_settings(infra: Infra, schema: str, **overrides: Any) -> RouterSettings:
    values: dict[str, Any] = {
        "database_url": infra.service_db_url("router"),
        "db_schema": schema,
        "redis_prefix": f"rtest-{uuid.uuid4().hex[:8]}",
        "intake_location_ids": [INTAKE],
        "sync_enabled": False,
        "directory_watch_interval_s": 0.2,
        "kafka": KafkaSettings(bootstrap_servers=infra.kafka, retry_backoff_s=0.05, transient_retries=2),
        "redis": RedisSettings(url=infra.redis_url),
    }
    return RouterSettings(**(values | overrides))


@dataclass
class RunningRouter:
    settings: RouterSettings
    http: httpx.AsyncClient
    redis: Redis
    infra: Infra
    services: RouterServices | None = None

    async def publish_location(self, location_id: str, zip_code: str, lat: float, lon: float,
                               capacity: int, state: str, status: str = "active",
                               timezone: str = "America/Chicago", ghl_location_id: str | None = None,
                               hours: BusinessHours | None = None) -> None:  # fmt: skip
        profile = LocationProfile(
            location_id=location_id, ghl_location_id=ghl_location_id or f"ghl-{location_id}",
            name=location_id, franchise_code=location_id, status=LocationStatus(status), lat=lat, lon=lon,
            timezone=timezone, daily_capacity=capacity, state=state, postal_code=zip_code,
            business_hours=hours,
        )  # fmt: skip
        envelope = Envelope.wrap(profile, source="tests")
        await produce(self.infra.kafka, LOCATIONS.name, [(location_id, encode_envelope(envelope))])

    async def tombstone_location(self, location_id: str) -> None:
        await produce(self.infra.kafka, LOCATIONS.name, [(location_id, None)])

    async def publish_contact(self, contact_id: str, event_type: str = "ContactCreate",
                              location_id: str = INTAKE, event_id: uuid.UUID | None = None,
                              **fields: Any) -> Envelope:  # fmt: skip
        body = {"type": event_type, "id": contact_id, "locationId": location_id, **fields}
        envelope = Envelope(event_id=event_id or uuid.uuid4(), event_type=event_type, source="tests",
                            payload=body)  # fmt: skip
        await produce(self.infra.kafka, GHL_EVENTS.name, [(contact_id, encode_envelope(envelope))])
        return envelope

    async def route_of(self, lead_id: str, timeout_s: float = 20.0) -> dict[str, Any]:
        async def fetch() -> dict[str, Any] | None:
            response = await self.http.get(f"/routes/{lead_id}")
            return response.json() if response.status_code == 200 else None

        return await eventually(fetch, timeout_s)

    async def reserved(self, location_id: str) -> int:
        response = await self.http.get(f"/locations/{location_id}/capacity")
        response.raise_for_status()
        return int(response.json()["reserved"])

    async def wait_location(self, location_id: str, status: str, timeout_s: float = 20.0) -> None:
        async def check() -> bool | None:
            response = await self.http.get(f"/locations/{location_id}/capacity")
            return True if response.status_code == 200 and response.json()["status"] == status else None

        await eventually(check, timeout_s)


async def eventually(probe: Callable[[], Awaitable[T | None]], timeout_s: float = 20.0) -> T:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        value = await probe()
        if value is not None:
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met before the deadline")
        await asyncio.sleep(0.1)


@asynccontextmanager
async def running_router(infra: Infra, schema: str, ghl: GhlSettings | None = None,
                         **overrides: Any) -> AsyncIterator[RunningRouter]:  # fmt: skip
    settings = router_settings(infra, schema, **overrides)
    app = create_app(settings, ghl)
    redis = Redis.from_url(infra.redis_url)
    try:
        async with LifespanManager(app, startup_timeout=60, shutdown_timeout=30):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://router") as http:
                yield RunningRouter(settings, http, redis, infra, app.state.services)
    except TimeoutError:
        dump_tasks("the router's lifespan timed out")  # where it hangs, in the test's output
        raise
    finally:
        await delete_prefix(redis, settings.redis_prefix)
        await redis.aclose()


async def delete_prefix(redis: Redis, prefix: str) -> int:
    keys = [k async for k in redis.scan_iter(match=f"{prefix}:*", count=1000)]
    if keys:
        await redis.delete(*keys)
    return len(keys)
