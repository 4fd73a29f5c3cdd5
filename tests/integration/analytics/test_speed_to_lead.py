"""Speed-to-lead and SLA counters projected from the router's LeadWorked / LeadReassigned events and
served by the APIs (real Kafka, Postgres, Redis)."""

from __future__ import annotations

from datetime import date, timedelta

from analytics.settings import AnalyticsSettings
from leadflow_common.events import Envelope, EventPayload, LeadAssigned, LeadReassigned, LeadWorked
from leadflow_common.topics import LEADS_ASSIGNED, LOCATIONS
from tests.integration.analytics.event_stream import Item, profile, stream_start, window
from tests.integration.analytics.service import produce_items, running_app, wait_for_applied
from tests.support.infra import Infra

SEED = 77


def item(topic: str, key: str, payload: EventPayload) -> Item:
    return Item(topic, key, Envelope.wrap(payload, source="router"))


def assigned(lead: str, location: str, at_minutes: int, rule: str = "radius_25") -> Item:
    at = stream_start(SEED) + timedelta(minutes=at_minutes)
    payload = LeadAssigned(
        lead_id=lead,
        location_id=location,
        rule=rule,
        score=50,
        geocode_method="postal_code",
        capacity_date=date(2026, 1, 1),
        decided_at=at,
    )
    return item(LEADS_ASSIGNED.name, lead, payload)


def worked(lead: str, location: str, after_minutes: int, sla_minutes: int = 15) -> Item:
    at = stream_start(SEED)
    payload = LeadWorked(
        lead_id=lead,
        location_id=location,
        assigned_at=at,
        worked_at=at + timedelta(minutes=after_minutes),
        touch="OutboundMessage",
        within_sla=after_minutes <= sla_minutes,
    )
    return item(LEADS_ASSIGNED.name, lead, payload)


async def test_speed_to_lead_percentiles_breaches_and_reassignments(
    infra: Infra, settings: AnalyticsSettings
) -> None:
    first, second = profile(f"S{SEED}", 1), profile(f"S{SEED}", 2)
    moved = LeadReassigned(
        lead_id="s77-d",
        from_location_id=first.location_id,
        to_location_id=second.location_id,
        reason="sla_breach: not worked within 15 business minutes",
        attempt=1,
        score=50,
        decided_at=stream_start(SEED) + timedelta(minutes=16),
    )
    items = [
        Item(LOCATIONS.name, first.location_id, Envelope.wrap(first, source="onboarding")),
        Item(LOCATIONS.name, second.location_id, Envelope.wrap(second, source="onboarding")),
        *(assigned(f"s77-{x}", first.location_id, 0) for x in "abcd"),
        worked("s77-a", first.location_id, 2),
        worked("s77-b", first.location_id, 7),
        worked("s77-c", first.location_id, 30),
        item(LEADS_ASSIGNED.name, "s77-d", moved),
        assigned("s77-d", second.location_id, 16, rule="sla_reassign"),
    ]
    async with running_app(settings.model_copy(update={"cache_ttl_s": 0.0})) as client:
        await produce_items(infra.kafka, items)
        await wait_for_applied(client, len(items), settled=settings)
        params = window(SEED)

        metrics = (await client.get(f"/locations/{first.location_id}/metrics", params=params)).json()
        location = metrics["location"]
        assert (location["speed_to_lead_p50_min"], location["speed_to_lead_p90_min"]) == (7.5, 25.5)
        counters = location["counters"]
        assert (counters["touches"], counters["touched_in_sla"], counters["sla_breaches"]) == (3, 2, 1)
        assert (counters["reassignments"], counters["stl_le_10m"]) == (1, 1)
        hourly = {p["bucket"]: p for p in metrics["points"]}
        assert sum(p["sla_breaches"] for p in hourly.values()) == 1

        page = (
            await client.get(
                "/locations/performance",
                params=params | {"sort": "speed_to_lead_p90_min", "state": first.state},
            )
        ).json()
        assert page["items"][0]["location_id"] == first.location_id
        overview = (await client.get("/overview", params=params)).json()
        assert overview["totals"]["sla_breaches"] >= 1 and overview["speed_to_lead_p50_min"] is not None
        other = (await client.get(f"/locations/{second.location_id}/metrics", params=params)).json()
        assert other["location"]["counters"]["leads"] == 1
