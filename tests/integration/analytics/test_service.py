"""The service end to end on real Kafka: consumption, redelivery, bad input, the dashboard APIs."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from analytics.settings import AnalyticsSettings
from leadflow_common.topics import GHL_EVENTS, LEADS_ASSIGNED
from tests.integration.analytics.event_stream import generate, only, window, without_zeros
from tests.integration.analytics.service import produce_items, running_app, wait_for_applied
from tests.integration.analytics.snapshot import counters, snapshot
from tests.support.infra import Infra
from tests.support.kafka_io import make_envelope, produce, read_all


@pytest.fixture
def uncached(settings: AnalyticsSettings) -> AnalyticsSettings:
    return settings.model_copy(update={"cache_ttl_s": 0.0})


async def test_stream_is_projected_once_and_served(
    infra: Infra, uncached: AnalyticsSettings, sessions: async_sessionmaker[AsyncSession]
) -> None:
    stream = generate(11, n_locations=5, n_leads=80)
    unique, window_ = len(stream.items), window(11)
    async with running_app(uncached) as client:
        await produce_items(infra.kafka, stream.items)
        # bad input: an unknown routing event, a malformed LeadAssigned, bytes that are no envelope
        await produce(
            infra.kafka,
            LEADS_ASSIGNED.name,
            [("x", make_envelope("LeadTeleported", lead_id="x").model_dump_json().encode())],
        )
        await produce(
            infra.kafka,
            LEADS_ASSIGNED.name,
            [("bad", make_envelope("LeadAssigned", lead_id="bad").model_dump_json().encode())],
        )
        await produce(infra.kafka, GHL_EVENTS.name, [("junk", b"{not json")])
        await wait_for_applied(client, unique + 1, settled=uncached)
        assert only(await counters(sessions), "S11") == only(without_zeros(stream.hourly), "S11")
        assert only(await counters(sessions, daily=True), "S11") == only(without_zeros(stream.daily), "S11")

        before = await snapshot(sessions)
        await produce_items(infra.kafka, stream.items)  # a full redelivery
        await wait_for_applied(client, unique + 1, settled=uncached)
        await asyncio.sleep(1.0)
        assert await snapshot(sessions) == before

        dead = await read_all(infra.kafka, LEADS_ASSIGNED.dlt_name, expected=1, timeout_s=10)
        assert [r.key for r in dead] == [b"bad"]
        assert [r.key for r in await read_all(infra.kafka, GHL_EVENTS.dlt_name, 1, 10) if r.key == b"junk"]

        overview = (await client.get("/overview", params=window_)).json()
        total_leads = sum(c.get("leads", 0) for c in stream.hourly.values())
        unassigned = sum(c.get("unassigned", 0) for c in stream.hourly.values())
        assert overview["totals"]["leads"] == total_leads
        assert overview["unassigned_rate"] == pytest.approx(unassigned / (total_leads + unassigned))
        assert overview["freshness_seconds"] is not None
        assert len(overview["top"]) == 5

        metrics = (
            await client.get("/locations/S11-0001/metrics", params={**window_, "grain": "hour"})
        ).json()
        expected_hours = {k[1]: v for k, v in without_zeros(stream.hourly).items() if k[0] == "S11-0001"}
        assert len(metrics["points"]) == len(expected_hours)
        assert sum(p["leads"] for p in metrics["points"]) == metrics["location"]["counters"]["leads"]
        days = (await client.get("/locations/S11-0001/metrics", params={**window_, "grain": "day"})).json()
        assert sum(p["leads"] for p in days["points"]) == metrics["location"]["counters"]["leads"]
        assert (await client.get("/locations/NOPE/metrics")).status_code == 404


async def test_pagination_sort_filter_and_auth(infra: Infra, settings: AnalyticsSettings) -> None:
    stream = generate(12, n_locations=9, n_leads=120)
    window_ = window(12)
    async with running_app(settings) as client:
        await produce_items(infra.kafka, stream.items)
        await wait_for_applied(client, len(stream.items), settled=settings)

        assert (await client.get("/overview", headers={"Authorization": "Bearer wrong"})).status_code == 401
        assert (await client.get("/locations/performance", headers={"Authorization": ""})).status_code == 401

        seen: list[dict[str, object]] = []
        params = {**window_, "sort": "conversion_rate", "order": "desc", "limit": "2"}
        everything = (await client.get("/locations/performance", params={**params, "limit": "200"})).json()
        page = (await client.get("/locations/performance", params=params)).json()
        more = generate(12, n_locations=9, n_leads=60, tag="more")  # new data for the same locations
        await produce_items(infra.kafka, more.items)
        while True:
            seen += page["items"]
            if not page["next_cursor"]:
                break
            page = (
                await client.get("/locations/performance", params={**params, "cursor": page["next_cursor"]})
            ).json()
        ids = [item["location_id"] for item in seen]
        assert len(ids) == len(set(ids)) == everything["total"]
        assert sorted(ids) == sorted(i["location_id"] for i in everything["items"])
        assert {f"S12-{n:04d}" for n in range(1, 10)} <= set(ids)

        by_leads = (
            await client.get(
                "/locations/performance", params={**window_, "sort": "leads", "order": "asc", "limit": "200"}
            )
        ).json()
        values = [i["counters"]["leads"] for i in by_leads["items"]]
        assert values == sorted(values)
        west = (await client.get("/locations/performance", params={**window_, "region": "west"})).json()
        assert west["items"] and {i["region"] for i in west["items"]} == {"west"}
        bad = await client.get("/locations/performance", params={"sort": "nonsense"})
        assert bad.status_code == 400
        assert (await client.get("/locations/performance", params={"cursor": "zzz"})).status_code == 400
        assert "/locations/performance" in (await client.get("/openapi.json")).json()["paths"]
        assert (await client.get("/healthz")).status_code == 200
        assert (await client.get("/readyz")).json()["ready"] is True
        assert b"analytics_batch_size" in (await client.get("/metrics")).content
