"""Location management over HTTP on real Postgres and Kafka: changes validated like the CSV (422
naming the field), conflicts refused with the reason (409), every change audited with who and when,
and published on locations.v1 as the LocationProfile / tombstone the router applies."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import orjson
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from fastapi import FastAPI

from leadflow_common.db import make_engine, make_sessionmaker
from leadflow_common.events.onboarding import LocationDraft
from leadflow_common.kafka.broker import make_broker
from leadflow_common.kafka.publisher import EventPublisher
from leadflow_common.topics import LOCATIONS
from onboarding.adapters.events import KafkaEventSink
from onboarding.adapters.store import PostgresSagaStore
from onboarding.directory.http import build_directory_router
from onboarding.directory.service import LocationDirectory
from onboarding.domain.location import Location
from onboarding.domain.saga import SagaStatus
from tests.integration.onboarding.support import onboarding_settings
from tests.support.infra import Infra

pytestmark = pytest.mark.integration
TOKEN = "location-api-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@dataclass
class Rig:
    http: httpx.AsyncClient
    directory: LocationDirectory
    sink: KafkaEventSink
    store: PostgresSagaStore
    prefix: str  # this test's franchise-code prefix: its locations' ids on the shared topic

    async def add(
        self, n: int, status: SagaStatus = SagaStatus.ACTIVE, state: str = "TX", region: str = "South"
    ) -> str:
        code = f"{self.prefix}-{n:02d}"
        draft = LocationDraft(
            name=f"FitNation {code}", address="1 Main St", city="Austin", state=state, postal_code="78701",
            phone="+15125550100", email="a@fitnation.example.com", manager_name="Ana Ruiz",
            manager_email="ana@fitnation.example.com", daily_capacity=40, franchise_code=code, region=region,
        )  # fmt: skip
        location = Location(code, draft, status=status, ghl_location_id=f"ghl{code}", lat=30.27, lon=-97.74,
                            geocode_method="zip", timezone="America/Chicago")  # fmt: skip
        assert await self.store.create(location)
        return code


@pytest.fixture
async def rig(infra: Infra, schema: str) -> AsyncIterator[Rig]:
    settings = onboarding_settings(infra, schema, "unused")
    engine = make_engine(settings.database_url, schema)
    broker = make_broker(settings.kafka, "location-api-test")
    await broker.start()
    sessions = make_sessionmaker(engine)
    sink = KafkaEventSink(EventPublisher(broker, "onboarding"), "America/New_York")
    directory = LocationDirectory(sessions, sink)
    app = FastAPI()
    app.include_router(build_directory_router(directory, TOKEN))
    http = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://onboarding", headers=AUTH
    )
    try:
        yield Rig(http, directory, sink, PostgresSagaStore(sessions), f"LM{uuid.uuid4().hex[:6].upper()}")
    finally:
        await http.aclose()
        await broker.stop()
        await engine.dispose()


async def directory_entries(infra: Infra, keys: set[str]) -> list[tuple[str, Any]]:
    """(key, payload or None for a tombstone) of the locations.v1 records of ``keys``, in order, up
    to the topic's end now (a change is published before its answer, so it is there already)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=infra.kafka, enable_auto_commit=False)
    await consumer.start()
    found: list[tuple[str, Any]] = []
    try:
        partitions = [TopicPartition(LOCATIONS.name, p) for p in range(LOCATIONS.partitions)]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        deadline = asyncio.get_running_loop().time() + 20
        while [tp for tp, end in ends.items() if await consumer.position(tp) < end]:
            assert asyncio.get_running_loop().time() < deadline, "locations.v1 not read to its end"
            for records in (await consumer.getmany(timeout_ms=300)).values():
                for r in records:
                    if r.key and r.key.decode() in keys:
                        found.append((r.key.decode(), orjson.loads(r.value)["payload"] if r.value else None))
        return found
    finally:
        await consumer.stop()


def field_errors(response: httpx.Response) -> dict[str, str]:
    assert response.status_code == 422, response.text
    return {e["loc"][-1]: e["msg"] for e in response.json()["detail"]}


async def test_change_pause_resume_offboard_published_and_audited(rig: Rig, infra: Infra) -> None:
    code = await rig.add(1)
    changed = await rig.http.patch(
        f"/locations/{code.lower()}",
        json={
            "daily_capacity": 12,
            "hours": "Mon-Fri 06:00-21:00; Sat-Sun closed",
            "closed_dates": ["2026-12-25"],
        },
        headers={"X-Actor": "ana@fitnation.example.com"},
    )
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert [(c["field"], c["old"], c["new"]) for c in body["changes"]] == [
        ("daily_capacity", "40", "12"),
        ("hours", "", "Mon 06:00-21:00; Tue 06:00-21:00; Wed 06:00-21:00; Thu 06:00-21:00; "
                     "Fri 06:00-21:00; Sat closed; Sun closed"),
        ("closed_dates", "", "2026-12-25"),
    ]  # fmt: skip
    assert body["location"]["daily_capacity"] == 12

    until = (datetime.now(UTC) + timedelta(days=3)).date().isoformat()
    paused = await rig.http.post(f"/locations/{code}/pause", json={"reason": "holiday", "until": until})
    assert paused.status_code == 200, paused.text
    assert paused.json()["location"]["pause"] | {"paused_at": None} == {
        "reason": "holiday", "until": until, "paused_at": None, "paused_by": "api"}  # fmt: skip
    again = await rig.http.post(f"/locations/{code}/pause")
    assert (again.status_code, again.json()["detail"]) == (409, "the location is already paused")

    resumed = await rig.http.post(f"/locations/{code}/resume", json={"reason": "back"})
    assert resumed.status_code == 200 and resumed.json()["location"]["pause"] is None
    not_paused = await rig.http.post(f"/locations/{code}/resume")
    assert (not_paused.status_code, not_paused.json()["detail"]) == (
        409,
        "the location is not paused (status active)",
    )

    assert (await rig.http.post(f"/locations/{code}/offboard", json={"reason": "closed"})).status_code == 200
    for refused, why in (
        (
            rig.http.post(f"/locations/{code}/pause"),
            "only an active location can be paused (status offboarded)",
        ),
        (rig.http.patch(f"/locations/{code}", json={"daily_capacity": 3}), "the location is offboarded"),
        (rig.http.post(f"/locations/{code}/offboard"), "the location is already offboarded"),
    ):
        answer = await refused
        assert answer.status_code == 409 and answer.json()["detail"].startswith(why), answer.text

    entries = await directory_entries(infra, {code})
    assert [(p["status"], p["daily_capacity"]) if p else None for _, p in entries] == [
        ("active", 12), ("paused", 12), ("active", 12), None]  # fmt: skip
    assert entries[0][1]["business_hours"]["closed_dates"] == ["2026-12-25"]

    history = (await rig.http.get(f"/locations/{code}/history")).json()["items"]
    assert [(h["action"], h["field"], h["old"], h["new"], h["actor"], h["reason"]) for h in history] == [
        ("offboard", "status", "active", "offboarded", "api", "closed"),
        ("resume", "status", "paused", "active", "api", "back"),
        ("pause", "status", "active", "paused", "api", "holiday"),
        ("update", "closed_dates", "", "2026-12-25", "ana@fitnation.example.com", None),
        ("update", "hours", "", history[4]["new"], "ana@fitnation.example.com", None),
        ("update", "daily_capacity", "40", "12", "ana@fitnation.example.com", None),
    ]
    assert all(
        datetime.fromisoformat(h["changed_at"]) > datetime.now(UTC) - timedelta(minutes=5) for h in history
    )
    page = (await rig.http.get(f"/locations/{code}/history", params={"limit": 4})).json()
    rest = (await rig.http.get(f"/locations/{code}/history", params={"before": page["next_before"]})).json()
    assert [h["id"] for h in page["items"] + rest["items"]] == [h["id"] for h in history]


async def test_invalid_input_is_answered_422_naming_the_field(rig: Rig) -> None:
    code = await rig.add(1)
    url = f"/locations/{code}"
    assert field_errors(await rig.http.patch(url, json={"daily_capacity": 0})) == {
        "daily_capacity": "capacity must be positive, got 0"}  # fmt: skip
    assert "HH:MM" in field_errors(await rig.http.patch(url, json={"hours": "Mon 9-5"}))["hours"]
    assert (
        "ISO date"
        in field_errors(await rig.http.patch(url, json={"closed_dates": "12/25/2026"}))["closed_dates"]
    )
    assert (
        "active or paused" in field_errors(await rig.http.patch(url, json={"status": "offboarded"}))["status"]
    )
    assert "radius_miles" in field_errors(await rig.http.patch(url, json={"radius_miles": 10}))
    assert "body" in field_errors(await rig.http.patch(url, json={}))
    yesterday = (datetime.now(UTC) - timedelta(days=1)).date().isoformat()
    assert "until" in field_errors(await rig.http.post(f"{url}/pause", json={"until": yesterday}))
    assert "X-Actor" in field_errors(await rig.http.post(f"{url}/pause", headers={"X-Actor": "\x01"}))
    assert "state" in field_errors(await rig.http.get("/locations", params={"state": "XX"}))
    assert "status" in field_errors(await rig.http.get("/locations", params={"status": "sleeping"}))
    assert (await rig.http.get("/locations/NOPE-1")).status_code == 404
    assert (await rig.http.post("/locations/NOPE-1/pause")).status_code == 404
    assert (await rig.http.get("/locations", headers={"Authorization": "Bearer wrong"})).status_code == 401
    assert (await rig.http.get(f"{url}/history")).json()["items"] == []  # nothing was recorded
    assert (await rig.http.get(url)).json()["status"] == "active"


async def test_list_filters_by_status_state_region_and_pages(rig: Rig) -> None:
    places = {1: ("TX", "South"), 0: ("CA", "West")}
    ids = [await rig.add(n, state=places[n % 2][0], region=places[n % 2][1]) for n in range(1, 6)]
    await rig.add(9, status=SagaStatus.QUARANTINED)
    listed: list[str] = []
    cursor = f"{rig.prefix}-00"
    for _ in range(4):  # pages of two until the prefix's locations run out
        page = (
            await rig.http.get("/locations", params={"status": "active", "limit": 2, "cursor": cursor})
        ).json()
        listed += [i["location_id"] for i in page["items"] if i["location_id"].startswith(rig.prefix)]
        if page["next_cursor"] is None or not page["next_cursor"].startswith(rig.prefix):
            break
        cursor = page["next_cursor"]
    assert listed == ids
    texans = (
        await rig.http.get("/locations", params={"state": "tx", "status": "active", "limit": 500})
    ).json()
    assert {i["location_id"] for i in texans["items"] if i["location_id"].startswith(rig.prefix)} == set(
        ids[::2]
    )
    west = (await rig.http.get("/locations", params={"region": "west", "limit": 500})).json()
    assert {i["location_id"] for i in west["items"] if i["location_id"].startswith(rig.prefix)} == set(
        ids[1::2]
    )


async def test_quarantined_location_change_is_recorded_not_published(rig: Rig, infra: Infra) -> None:
    quarantined = await rig.add(1, status=SagaStatus.QUARANTINED)
    running = await rig.add(2, status=SagaStatus.RUNNING)
    assert (await rig.http.patch(f"/locations/{quarantined}", json={"daily_capacity": 7})).status_code == 200
    answer = await rig.http.patch(f"/locations/{running}", json={"daily_capacity": 7})
    assert answer.status_code == 409 and "onboarding is in progress" in answer.json()["detail"]
    assert await directory_entries(infra, {quarantined, running}) == []


async def test_bulk_dry_run_shows_the_diff_and_a_bad_file_changes_nothing(rig: Rig, infra: Infra) -> None:
    a, b, c = [await rig.add(n) for n in (1, 2, 3)]
    offboarded = await rig.add(4, status=SagaStatus.OFFBOARDED)
    good = (
        "Franchise Code,Capacity Limit,Closed Dates,Status\n"
        f"{a},25,,\n{b},,2026-12-24;2026-12-31,paused\n{c},40,,\n"
    )
    dry = await rig.http.post("/locations/bulk", params={"dry_run": "true"}, content=good)
    assert dry.status_code == 200, dry.text
    assert dry.json()["applied"] is False
    assert [(d["row"], d["location_id"], d["field"], d["old"], d["new"]) for d in dry.json()["diff"]] == [
        (2, a, "daily_capacity", "40", "25"),
        (3, b, "closed_dates", "", "2026-12-24; 2026-12-31"),
        (3, b, "status", "active", "paused"),
    ]  # c: 40 → 40 is no change

    bad = good + f"{offboarded},10,,\nNOPE-1,5,,\n{a.lower()},zero,,\n"
    refused = await rig.http.post("/locations/bulk", content=bad)
    assert refused.status_code == 422
    errors = {(e["row"], e["column"]): e["message"] for e in refused.json()["detail"]["errors"]}
    assert errors == {
        (5, "Capacity Limit"): "the location is offboarded: its settings can no longer be changed",
        (6, "Franchise Code"): "no location NOPE-1",
        (7, "Capacity Limit"): "capacity must be a whole number, got 'zero'",
    }
    assert (await rig.http.get(f"/locations/{a}")).json()["daily_capacity"] == 40
    assert await directory_entries(infra, {a, b, c}) == []

    applied = await rig.http.post("/locations/bulk", content=good, params={"reason": "december plan"},
                                  headers={"X-Actor": "ops@fitnation"})  # fmt: skip
    assert applied.status_code == 200 and applied.json()["applied"] is True
    assert (await rig.http.get(f"/locations/{b}")).json()["pause"]["reason"] == "december plan"
    entries = dict(await directory_entries(infra, {a, b, c}))
    assert (entries[a]["daily_capacity"], entries[b]["status"]) == (25, "paused")
    history = (await rig.http.get(f"/locations/{b}/history")).json()["items"]
    assert {h["change_id"] for h in history} == {applied.json()["change_id"]}
    assert {h["actor"] for h in history} == {"ops@fitnation"}


async def test_a_pause_ends_on_its_until_date(rig: Rig, infra: Infra) -> None:
    code = await rig.add(1)
    tomorrow = datetime.now(UTC).date() + timedelta(days=1)
    await rig.directory.pause(code, "ops", "inventory", tomorrow)
    on_that_day = datetime.combine(tomorrow, datetime.min.time(), UTC)
    later = LocationDirectory(rig.directory.sessions, rig.sink, clock=lambda: on_that_day)
    assert code in await later.resume_expired()
    assert code not in await later.resume_expired()  # once
    location, pause = await rig.directory.get(code)
    assert (location.status, pause) == (SagaStatus.ACTIVE, None)
    history = await rig.directory.history(code, None, 10)
    assert (history[0].actor, history[0].reason) == ("system:pause-until", "pause ended")
    assert [p["status"] for _, p in await directory_entries(infra, {code})] == ["paused", "active"]
